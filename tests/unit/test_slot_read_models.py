"""The appointments' read model at the Amizmiz site, and what the coordinator reads of it.

The site serves 2 households an hour from 9:00 to 11:00 on 20 and 21 February; households
hh-001 to hh-005 were expected before the plan was set: Friday 9:00 holds hh-001 and hh-002,
Friday 10:00 hh-003 and hh-004, Saturday 9:00 hh-005. Then baskets are handed, some in their
slot, some not. SQLite in memory, no broker; every figure is worked out by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.pool import StaticPool

from events import Event
from events.households import AidDistributed
from events.slots import SlotAssigned
from projections.slot_queries import SITE_TIME, current_slot, slot_figures, slots_of_household
from projections.tables import history, metadata, slot_messages
from projections.writer import Message
from services.domain.slots.commands import (
    AddSlotDay,
    CloseSiteDay,
    MoveSlot,
    OfferHouseholds,
    SetSlotPlan,
    WithdrawHouseholds,
)
from services.domain.slots.decider import SlotsDecider
from tests.support.aid_log import project
from tests.support.events import recorded
from tests.support.read_models import every_row
from tests.unit.test_slot_decider import FRI, SAT, SUN, household

CAMPAIGN, SITE = "ramadan-2026", "site-amizmiz"
DECIDER = SlotsDecider()
NOW = datetime(2026, 2, 15, 9, 0, tzinfo=UTC)
PLAN = SetSlotPlan(campaign_id=CAMPAIGN, site_id=SITE, days=[FRI, SAT], opens_at=9,
                   closes_at=11, per_hour=2)  # fmt: skip


def decided(*commands: object) -> list[Event]:
    """The events the site's writer records for the commands, one after the other."""
    state, log = DECIDER.initial(), []
    for command in commands:
        events = DECIDER.decide(state, command, NOW)  # type: ignore[arg-type]
        for event in events:
            state = DECIDER.evolve(state, event)
        log += events
    return log


def handed(n: int, household_id: str, at: datetime) -> AidDistributed:
    return AidDistributed(
        distribution_id=f"dist-{n:03d}", household_id=household_id, identity=f"p{n:09d}",
        campaign_id=CAMPAIGN, site_id=SITE, item_id="ramadan-basket", quantity=1,
        region_code="MA07", distributed_at=at,
    )  # fmt: skip


def messages(events: Iterable[Event]) -> list[Message]:
    found = []
    for offset, event in enumerate(events):
        when = event.distributed_at if isinstance(event, AidDistributed) else NOW
        envelope, _ = recorded(event, command_id=f"cmd-{offset}", occurred_at=when)
        found.append(Message(event.STREAM, 0, offset, envelope, event))
    return found


def fresh() -> Engine:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine)
    return engine


SLOTS = decided(OfferHouseholds(site_id=SITE, households=[household(n) for n in range(1, 6)]),
                PLAN)  # fmt: skip
SERVED = [
    handed(1, "hh-001", datetime(2026, 2, 20, 9, 15, tzinfo=SITE_TIME)),  # in its slot
    handed(2, "hh-003", datetime(2026, 2, 20, 9, 40, tzinfo=SITE_TIME)),  # an hour early
    handed(3, "hh-009", datetime(2026, 2, 20, 9, 50, tzinfo=SITE_TIME)),  # holds no slot
    handed(4, "hh-005", datetime(2026, 2, 21, 10, 5, tzinfo=SITE_TIME)),  # an hour late
]


@pytest.fixture
def engine() -> Engine:
    engine = fresh()
    project(engine, [messages(SLOTS + SERVED)])
    return engine


def test_each_slot_counts_who_was_expected_served_in_it_and_served_out_of_slot(
    engine: Engine,
) -> None:
    figures = slot_figures(engine, CAMPAIGN, SITE)

    assert figures is not None
    rows = {(r["day"], r["hour"]): r for r in figures["slots"]}
    numbers = {k: (r["expected"], r["served"], r["out_of_slot"], r["served_in_hour"])
               for k, r in rows.items()}  # fmt: skip
    assert numbers == {
        (FRI, 9): (2, 1, 2, 3), (FRI, 10): (2, 0, 0, 0),
        (SAT, 9): (1, 0, 0, 0), (SAT, 10): (0, 0, 1, 1),
    }  # fmt: skip
    assert [k for k, r in rows.items() if r["over_capacity"]] == [(FRI, 9)]
    assert (figures["expected"], figures["served"], figures["out_of_slot"]) == (5, 1, 3)
    assert figures["peak_served_per_hour"] == 3
    assert figures["over_capacity"] is True


def test_the_slot_under_way_shows_who_it_expects_and_who_has_not_come_yet(
    engine: Engine,
) -> None:
    during = datetime(2026, 2, 20, 10, 30, tzinfo=SITE_TIME)

    now = current_slot(engine, CAMPAIGN, SITE, during)

    assert now is not None
    assert (now["day"], now["hour"], now["expected"]) == (FRI, 10, 2)
    assert (now["served"], now["not_yet_come"]) == (1, 1)  # hh-003 came early
    assert current_slot(engine, CAMPAIGN, SITE, during.replace(hour=12)) is None


def test_each_assignment_and_change_is_one_message_in_french_and_one_in_arabic() -> None:
    moved = MoveSlot(campaign_id=CAMPAIGN, site_id=SITE, household_id="hh-001", day=SAT,
                     hour=10)  # fmt: skip
    engine = fresh()
    project(engine, [messages(decided(*_commands(), moved))])

    with engine.connect() as conn:
        rows = conn.execute(
            select(slot_messages).where(slot_messages.c.household_id == "hh-001")
            .order_by(slot_messages.c.created_at, slot_messages.c.message_id)
        ).mappings().all()  # fmt: skip
    assert sorted((r["language"], r["day"], r["hour"]) for r in rows) == [
        ("ar", FRI, 9), ("ar", SAT, 10), ("fr", FRI, 9), ("fr", SAT, 10),
    ]  # fmt: skip
    french = {r["text"] for r in rows if r["language"] == "fr"}
    assert any("20/02/2026 de 9:00 à 10:00" in t for t in french)
    assert any("déplacé au 21/02/2026 de 10:00 à 11:00" in t for t in french)
    assert slots_of_household(engine, "hh-001") == [
        {"campaign_id": CAMPAIGN, "site_id": SITE, "day": SAT, "hour": 10}
    ]


def _commands() -> list[object]:
    return [OfferHouseholds(site_id=SITE, households=[household(n) for n in range(1, 6)]), PLAN]


def closing_friday() -> list[Event]:
    """Sunday added, then Friday closed: its four households go to Saturday and Sunday."""
    added = AddSlotDay(campaign_id=CAMPAIGN, site_id=SITE, day=SUN)
    closed = CloseSiteDay(campaign_id=CAMPAIGN, site_id=SITE, day=FRI, reason="crue")
    return decided(*_commands(), added, closed)


def test_a_closed_day_moves_the_rows_and_the_plan_keeps_the_days_left() -> None:
    engine = fresh()
    project(engine, [messages(closing_friday())])

    figures = slot_figures(engine, CAMPAIGN, SITE)
    assert figures is not None
    assert (figures["days"], figures["closed_days"]) == (["2026-02-21", "2026-02-22"],
                                                         ["2026-02-20"])  # fmt: skip
    expected = {(r["day"], r["hour"]): r["expected"] for r in figures["slots"]}
    assert expected == {(SAT, 9): 2, (SAT, 10): 2, (SUN, 9): 1, (SUN, 10): 0}


def test_a_rebuild_from_the_log_gives_the_rows_of_the_live_projection() -> None:
    log = messages(closing_friday() + SERVED)
    live, rebuilt = fresh(), fresh()
    project(live, [[m] for m in log])  # event by event, as they came
    project(rebuilt, [log])  # the whole log in one batch

    assert every_row(live) == every_row(rebuilt)
    assert len(every_row(live)["slot_assignments"]) == 5
    assert sum(isinstance(m.event, SlotAssigned) for m in log) == 5


def test_the_auditor_finds_a_households_slots_and_the_campaigns_plans_in_the_history() -> None:
    engine = fresh()
    project(engine, [messages(closing_friday())])

    with engine.connect() as conn:
        rows = conn.execute(
            select(history.c.subject_kind, history.c.subject_id, history.c.type)
        ).all()  # fmt: skip

    assert [t for k, i, t in rows if (k, i) == ("household", "hh-001")] == [
        "SlotAssigned", "SlotMoved",
    ]  # fmt: skip
    assert sorted(t for k, i, t in rows if (k, i) == ("campaign", CAMPAIGN)) == [
        "SiteDayClosed", "SlotDayAdded", "SlotPlanSet",
    ]  # fmt: skip


def test_a_plan_set_again_with_its_closed_day_lists_it_open_again() -> None:
    again = PLAN.model_copy(update={"days": [FRI, SAT, SUN]})  # Friday as well
    reopened = DECIDER.decide(_state(closing_friday()), again, NOW)
    engine = fresh()
    project(engine, [messages(closing_friday() + reopened)])

    figures = slot_figures(engine, CAMPAIGN, SITE)

    assert figures is not None
    assert figures["days"] == ["2026-02-20", "2026-02-21", "2026-02-22"]
    assert figures["closed_days"] == []


def _state(log: list[Event]) -> Any:
    state = DECIDER.initial()
    for event in log:
        state = DECIDER.evolve(state, event)
    return state


@pytest.mark.parametrize("asni_first", [False, True])
def test_a_household_moved_to_another_site_holds_only_its_new_slot_whatever_the_order(
    asni_first: bool,
) -> None:
    """hh-001 held Friday 9:00 at Amizmiz, then moved to Asni (Saturday 9:00 there, with
    hh-002, in id order): Amizmiz releases its slot. The two sites' events
    lie on two partitions; read in either order, only the Asni slot remains, and the
    household is told in French and Arabic that the first one is cancelled."""
    amizmiz = decided(PLAN, OfferHouseholds(site_id=SITE, households=[household(1)]),
                      WithdrawHouseholds(site_id=SITE, household_ids=["hh-001"]))  # fmt: skip
    asni_plan = PLAN.model_copy(update={"site_id": "site-asni", "days": [SAT]})
    asni = decided(asni_plan, OfferHouseholds(site_id="site-asni", households=[
        household(2), household(3), household(1)]))  # fmt: skip
    assert [type(e).__name__ for e in amizmiz][-2:] == ["HouseholdsWithdrawn", "SlotReleased"]
    first, second = (asni, amizmiz) if asni_first else (amizmiz, asni)
    log = [
        m._replace(partition=partition, envelope=m.envelope and m.envelope.model_copy(
            update={"event_id": uuid5(NAMESPACE_URL, f"{partition}/{m.offset}")}))
        for partition, events in enumerate((first, second))
        for m in messages(events)
    ]  # fmt: skip
    engine = fresh()

    project(engine, [log])

    assert slots_of_household(engine, "hh-001") == [
        {"campaign_id": CAMPAIGN, "site_id": "site-asni", "day": SAT, "hour": 9}
    ]
    with engine.connect() as conn:
        texts = conn.scalars(
            select(slot_messages.c.text).where(slot_messages.c.household_id == "hh-001")
        ).all()
    cancelled = [t for t in texts if "annulé" in t or "إلغاء" in t]
    assert len(cancelled) == 2 and all("20/02/2026" in t for t in cancelled)
