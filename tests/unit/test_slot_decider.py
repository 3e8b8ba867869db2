"""Stories of appointments at the Amizmiz site in Ramadan 2026: what the site's slot writer
records, and what it refuses.

Pure: the decider alone. The site serves 2 households an hour, from 9:00 to 11:00 (two
slots a day), on 20 and 21 February: 8 places in all. Facts already in the log are folded
with `evolve`, then one command is decided; every answer is worked out by hand.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given as generated
from hypothesis import settings
from hypothesis import strategies as st

from events import Event
from events.slots import (
    ExpectedHousehold,
    HouseholdsExpected,
    SiteDayClosed,
    SlotAssigned,
    SlotDayAdded,
    SlotMoved,
    SlotPlanSet,
)
from services.domain.commands import Command
from services.domain.decisions import Refused
from services.domain.slots.commands import (
    AddSlotDay,
    CloseSiteDay,
    MoveSlot,
    OfferHouseholds,
    SetSlotPlan,
)
from services.domain.slots.decider import SlotsDecider
from services.domain.slots.state import SiteSlots

CAMPAIGN, SITE = "ramadan-2026", "site-amizmiz"
FRI, SAT, SUN = date(2026, 2, 20), date(2026, 2, 21), date(2026, 2, 22)
NOW = datetime(2026, 2, 15, 9, 0, tzinfo=UTC)
DECIDER = SlotsDecider()


def household(n: int, region: str = "MA07", groups: Iterable[str] = ()) -> ExpectedHousehold:
    return ExpectedHousehold(household_id=f"hh-{n:03d}", region_code=region, groups=list(groups))


def plan(**changes: object) -> SetSlotPlan:
    fields: dict[str, object] = {
        "campaign_id": CAMPAIGN, "site_id": SITE, "days": [SAT, FRI], "opens_at": 9,
        "closes_at": 11, "per_hour": 2, "region_codes": ["MA07"],
    } | changes  # fmt: skip
    return SetSlotPlan.model_validate(fields)


def offer(*numbers: int) -> OfferHouseholds:
    return OfferHouseholds(site_id=SITE, households=[household(n) for n in numbers])


def given(*facts: Event) -> SiteSlots:
    state = DECIDER.initial()
    for fact in facts:
        state = DECIDER.evolve(state, fact)
    return state


def when(state: SiteSlots, command: Command) -> list[Event]:
    return DECIDER.decide(state, command, NOW)


def then(history: list[Event], command: Command) -> tuple[SiteSlots, list[Event]]:
    """Decide on the folded history; the state after the new events, and the new events."""
    state = given(*history)
    events = when(state, command)
    return given(*history, *events), events


def slots_of(events: Iterable[Event]) -> dict[str, tuple[date, int]]:
    return {e.household_id: (e.day, e.hour) for e in events if isinstance(e, SlotAssigned)}


def planned(*numbers: int) -> list[Event]:
    """The history of a plan set once these households were expected."""
    history: list[Event] = []
    if numbers:
        history += when(given(), offer(*numbers))
    return history + when(given(*history), plan())


def test_a_plan_gives_the_households_already_expected_slots_in_order_up_to_capacity() -> None:
    expected = when(given(), offer(5, 3, 1, 2, 4))

    events = when(given(*expected), plan())

    assert isinstance(events[0], SlotPlanSet)
    assert events[0].days == [FRI, SAT]
    assert slots_of(events) == {
        "hh-001": (FRI, 9), "hh-002": (FRI, 9), "hh-003": (FRI, 10), "hh-004": (FRI, 10),
        "hh-005": (SAT, 9),
    }  # fmt: skip


def test_households_the_campaign_does_not_admit_get_no_slot() -> None:
    expected = when(
        given(), OfferHouseholds(site_id=SITE, households=[household(1, region="MA06")])
    )

    events = when(given(*expected), plan())

    assert slots_of(events) == {}


def test_the_same_plan_and_the_same_offers_again_record_nothing() -> None:
    history = planned(1, 2, 3)

    assert when(given(*history), plan()) == []
    assert when(given(*history), offer(1, 2, 3)) == []


def test_a_household_registered_later_gets_the_next_free_slot_and_keeps_the_others() -> None:
    history = planned(1, 2, 3)

    state, events = then(history, offer(2, 9))

    assert [type(e) for e in events] == [HouseholdsExpected, SlotAssigned]
    assert slots_of(events) == {"hh-009": (FRI, 10)}
    assert state.plans[CAMPAIGN].held["hh-002"] == (FRI, 9)


def test_assignment_is_deterministic_whatever_the_order_of_the_offer() -> None:
    one = when(given(*planned()), offer(4, 1, 3))
    other = when(given(*planned()), OfferHouseholds(site_id=SITE, households=[
        household(3), household(1), household(4), household(1)]))  # fmt: skip

    assert slots_of(one) == slots_of(other) == {
        "hh-001": (FRI, 9), "hh-003": (FRI, 9), "hh-004": (FRI, 10),
    }  # fmt: skip


def test_households_beyond_the_plans_capacity_wait_and_an_added_day_seats_them() -> None:
    history = planned(*range(1, 11))  # 10 households, 8 places
    assert len(slots_of(history)) == 8

    state, events = then(history, AddSlotDay(campaign_id=CAMPAIGN, site_id=SITE, day=SUN))

    assert isinstance(events[0], SlotDayAdded)
    assert slots_of(events) == {"hh-009": (SUN, 9), "hh-010": (SUN, 9)}
    assert state.waiting(CAMPAIGN) == []


def test_closing_a_day_moves_its_households_to_the_next_free_slots_of_the_following_days() -> None:
    history = planned(1, 2, 3, 4, 5)  # Fri 9: 1, 2; Fri 10: 3, 4; Sat 9: 5
    history += when(given(*history), AddSlotDay(campaign_id=CAMPAIGN, site_id=SITE, day=SUN))

    state, events = then(history, CloseSiteDay(campaign_id=CAMPAIGN, site_id=SITE, day=FRI,
                                               reason="crue de l'oued"))  # fmt: skip

    assert isinstance(events[0], SiteDayClosed)
    moves = {e.household_id: (e.day, e.hour) for e in events if isinstance(e, SlotMoved)}
    assert moves == {
        "hh-001": (SAT, 9), "hh-002": (SAT, 10), "hh-003": (SAT, 10), "hh-004": (SUN, 9),
    }  # fmt: skip
    assert [e.reason for e in events if isinstance(e, SlotMoved)] == ["day_closed"] * 4
    assert state.plans[CAMPAIGN].days == (SAT, SUN)
    assert state.plans[CAMPAIGN].filled.get((FRI, 9), 0) == 0


def test_closing_a_day_without_room_after_it_is_refused_until_a_day_is_added() -> None:
    history = planned(1, 2, 3, 4, 5, 6)  # 4 on Friday, 2 on Saturday: 2 places left

    with pytest.raises(Refused) as refused:
        when(given(*history), CloseSiteDay(campaign_id=CAMPAIGN, site_id=SITE, day=FRI,
                                           reason="crue"))  # fmt: skip

    assert refused.value.code == "no_room"
    assert refused.value.details == {"households": 4, "room": 2}


def test_a_household_moves_to_a_free_slot_of_the_plan() -> None:
    history = planned(1, 2)

    state, events = then(history, MoveSlot(campaign_id=CAMPAIGN, site_id=SITE,
                                           household_id="hh-001", day=SAT, hour=10))  # fmt: skip

    moved = SlotMoved(campaign_id=CAMPAIGN, site_id=SITE, household_id="hh-001",
                      from_day=FRI, from_hour=9, day=SAT, hour=10, reason="moved")  # fmt: skip
    assert events == [moved]
    assert state.plans[CAMPAIGN].filled[(FRI, 9)] == 1


@pytest.mark.parametrize(
    ("household_id", "day", "hour", "code"),
    [
        ("hh-003", FRI, 9, "slot_full"),
        ("hh-001", FRI, 11, "not_a_slot"),
        ("hh-001", SUN, 9, "not_a_slot"),
        ("hh-404", SAT, 9, "no_slot"),
    ],
)
def test_a_move_to_a_full_or_unplanned_slot_is_refused(
    household_id: str, day: date, hour: int, code: str
) -> None:
    history = planned(1, 2, 3)

    with pytest.raises(Refused) as refused:
        when(given(*history), MoveSlot(campaign_id=CAMPAIGN, site_id=SITE,
                                       household_id=household_id, day=day, hour=hour))  # fmt: skip

    assert refused.value.code == code


def test_a_new_plan_that_would_drop_held_slots_is_refused_and_one_that_keeps_them_is_not() -> None:
    history = planned(1, 2, 3, 4, 5)

    with pytest.raises(Refused) as refused:
        when(given(*history), plan(days=[SAT]))
    assert refused.value.code == "plan_in_use"
    with pytest.raises(Refused):
        when(given(*history), plan(per_hour=1))

    state, events = then(history, plan(per_hour=3, closes_at=12))
    assert isinstance(events[0], SlotPlanSet)
    assert slots_of(events) == {}  # nobody waited
    assert state.plans[CAMPAIGN].held["hh-005"] == (SAT, 9)


def test_commands_without_a_plan_are_refused() -> None:
    with pytest.raises(Refused) as refused:
        when(given(), AddSlotDay(campaign_id=CAMPAIGN, site_id=SITE, day=SUN))

    assert refused.value.code == "no_slot_plan"


def test_no_slot_ever_holds_more_households_than_the_capacity() -> None:
    history = planned(*range(1, 8))
    history += when(given(*history), offer(*range(8, 20)))
    history += when(given(*history), AddSlotDay(campaign_id=CAMPAIGN, site_id=SITE, day=SUN))

    state = given(*history)

    filled = state.plans[CAMPAIGN].filled
    assert max(filled.values()) == 2
    assert sum(filled.values()) == len(state.plans[CAMPAIGN].held) == 12


Step = tuple[str, int]


def command_of(kind: str, n: int) -> Command:
    """An offer of household n (again, perhaps), or the day n days after Friday added or
    closed."""
    day = FRI + timedelta(days=n)
    if kind == "add":
        return AddSlotDay(campaign_id=CAMPAIGN, site_id=SITE, day=day)
    if kind == "close":
        return CloseSiteDay(campaign_id=CAMPAIGN, site_id=SITE, day=day, reason="vent")
    return offer(n)  # ("offer", household number) | ("add", day offset) | ("close", ...)


@generated(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("offer"), st.integers(1, 30)),
            st.tuples(st.just("add"), st.integers(2, 6)),
            st.tuples(st.just("close"), st.integers(0, 6)),
            st.tuples(st.just("again"), st.integers(1, 30)),
        ),
        max_size=40,
    )
)
@settings(max_examples=150, deadline=None)
def test_whatever_happens_no_slot_is_overfilled_and_no_one_waits_while_a_slot_is_free(
    steps: list[Step],
) -> None:
    """Any sequence of offers (some repeated), added and closed days (the refused ones
    changing nothing) keeps the plan's promises."""
    history = planned()
    for kind, n in steps:
        with contextlib.suppress(Refused):
            history += when(given(*history), command_of(kind, n))
    plan = given(*history).plans[CAMPAIGN]
    counted = Counter(plan.held.values())

    assert all(n <= 2 for n in counted.values())
    assert all(plan.has(slot) for slot in counted)
    assert dict(counted) == {k: v for k, v in plan.filled.items() if v}
    assigned = [e.household_id for e in history if isinstance(e, SlotAssigned)]
    assert len(assigned) == len(set(assigned))  # nobody assigned twice
    free = sum(plan.free(slot) for slot in plan.slots())
    waiting = given(*history).waiting(CAMPAIGN)
    assert free == 0 or waiting == []


def test_the_elderly_and_people_with_disabilities_take_the_first_hours_of_each_day() -> None:
    everyone = [household(n) for n in (1, 2, 3, 4)] + [
        household(5, groups=["elderly"]), household(6, groups=["disability", "children"]),
        household(7, groups=["elderly"]),
    ]  # fmt: skip
    expected = when(given(), OfferHouseholds(site_id=SITE, households=everyone))

    events = when(given(*expected), plan())

    assert slots_of(events) == {
        "hh-005": (FRI, 9), "hh-006": (FRI, 9), "hh-007": (SAT, 9),  # 9:00 of each day first
        "hh-001": (FRI, 10), "hh-002": (FRI, 10), "hh-003": (SAT, 9), "hh-004": (SAT, 10),
    }  # fmt: skip


def test_an_elderly_household_registered_later_gets_the_earliest_hour_with_room() -> None:
    history = planned(1, 2, 3)  # Fri 9: 1, 2; Fri 10: 3

    events = when(given(*history), OfferHouseholds(
        site_id=SITE, households=[household(8), household(9, groups=["elderly"])]))  # fmt: skip

    assert slots_of(events) == {"hh-009": (SAT, 9), "hh-008": (FRI, 10)}


def test_a_plan_set_again_with_a_closed_day_reopens_it() -> None:
    history = planned(1)
    history += when(given(*history), CloseSiteDay(campaign_id=CAMPAIGN, site_id=SITE, day=SAT,
                                                  reason="vent"))  # fmt: skip

    state, events = then(history, plan())

    assert [type(e) for e in events] == [SlotPlanSet]
    assert state.plans[CAMPAIGN].days == (FRI, SAT)
    assert when(given(*history, *events), plan()) == []  # the plan as it now stands
