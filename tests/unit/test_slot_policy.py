"""Stories of the appointments policy: households registered at the Amizmiz site get slots.

The policy is pure (a household's event in, the offer to its site out); the site's writer
then decides each offer in its order, through the worker's decision core
(`AggregateStore`). No Kafka: what a worker would do after a crash is the same event
reacted to again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from events import Actor, Envelope, Event
from events.households import HouseholdProfileUpdated, HouseholdRegistered
from events.serialization import event_id_for, wrap
from events.slots import HouseholdsWithdrawn, SlotAssigned, SlotReleased
from services.domain.commands import CommandEnvelope
from services.domain.deciding import AggregateStore
from services.domain.policies.slots import offer_to_site
from services.domain.slots.commands import OfferHouseholds, SetSlotPlan, WithdrawHouseholds
from services.domain.slots.decider import SlotsDecider
from services.domain.slots.state import SiteSlots

SITE, CAMPAIGN = "site-amizmiz", "ramadan-2026"
FRI = date(2026, 2, 20)
MORNING = datetime(2026, 2, 15, 9, 0, tzinfo=UTC)
AGENT = Actor(user_id="khadija.agent", role="agent")


def registered(n: int, site_id: str | None = SITE) -> tuple[HouseholdRegistered, Envelope]:
    event = HouseholdRegistered(
        household_id=f"hh-{n:03d}", identity=f"pseudonym-{n:06d}", size=4, region_code="MA07",
        groups=["children"], sealed_personal_data="sealed:v1:…", site_id=site_id,
    )  # fmt: skip
    return event, _wrapped(event, f"RegisterHousehold:hh-{n:03d}")


def _wrapped(event: Event, command_id: str) -> Envelope:
    return wrap(event, event_id=event_id_for(command_id, 0), occurred_at=MORNING,
                recorded_at=MORNING, actor=AGENT, correlation_id=command_id,
                causation_id=command_id)  # fmt: skip


def plan_command() -> CommandEnvelope:
    plan = SetSlotPlan(campaign_id=CAMPAIGN, site_id=SITE, days=[FRI], opens_at=9,
                       closes_at=12, per_hour=2, region_codes=["MA07"])  # fmt: skip
    return CommandEnvelope.of(plan, "plan-1", AGENT, MORNING)


def offered(store: AggregateStore[SiteSlots], event: Event, envelope: Envelope) -> list[Event]:
    """The commands the policy asks for, decided by the sites' writers; the events they
    record."""
    sent = offer_to_site(event, envelope)  # type: ignore[arg-type]
    return [e for _, wire in sent for e in decided(store, wire)]


def decided(store: AggregateStore[SiteSlots], command: CommandEnvelope) -> list[Event]:
    decision = store.take(command)
    store.fold(decision)
    return [event for _, event in decision.events]


def test_a_household_registered_at_a_site_is_offered_to_it_under_an_id_from_its_event() -> None:
    event, envelope = registered(1)

    sent = offer_to_site(event, envelope)

    [(command, wire)] = sent
    assert isinstance(command, OfferHouseholds)
    assert command.site_id == SITE
    assert [h.household_id for h in command.households] == ["hh-001"]
    assert wire.command_id == f"OfferHouseholds:{envelope.event_id}"
    assert offer_to_site(event, envelope) == sent  # reacting again: the same command


def test_a_household_without_a_site_is_offered_to_none() -> None:
    assert offer_to_site(*registered(1, site_id=None)) == []


def test_households_registered_before_and_after_the_plan_all_get_slots_once() -> None:
    store = AggregateStore(SlotsDecider())
    before = [registered(n) for n in (1, 2, 3)]
    for event, envelope in before:
        assert not any(isinstance(e, SlotAssigned) for e in offered(store, event, envelope))

    planned = decided(store, plan_command())
    late = offered(store, *registered(4))

    assigned = [e for e in planned + late if isinstance(e, SlotAssigned)]
    assert [(e.household_id, e.hour) for e in assigned] == [
        ("hh-001", 9), ("hh-002", 9), ("hh-003", 10), ("hh-004", 10),
    ]  # fmt: skip


def test_reacting_again_after_a_crash_assigns_nobody_twice() -> None:
    store = AggregateStore(SlotsDecider())
    decided(store, plan_command())
    event, envelope = registered(1)
    first = offered(store, event, envelope)

    again = offered(store, event, envelope)  # the same event, redelivered
    updated = HouseholdProfileUpdated(
        household_id="hh-001", identity="pseudonym-000001", size=5, region_code="MA07",
        groups=["children"], site_id=SITE,
    )  # fmt: skip
    reassessed = offered(store, updated, _wrapped(updated, "UpdateProfile:hh-001"))

    assert [type(e).__name__ for e in first] == ["HouseholdsExpected", "SlotAssigned"]
    assert again == []
    assert reassessed == []  # same anonymous profile for the site, slot kept
    assert dict(store.state(SITE).plans[CAMPAIGN].held) == {"hh-001": (FRI, 9)}


def moved(
    n: int, to: str | None, previous: str | None, **profile: object
) -> tuple[Event, Envelope]:
    updated = HouseholdProfileUpdated(
        household_id=f"hh-{n:03d}", identity=f"pseudonym-{n:06d}", size=4,
        region_code=str(profile.get("region_code", "MA07")), groups=["children"], site_id=to,
        previous_site_id=previous,
    )  # fmt: skip
    return updated, _wrapped(updated, f"UpdateProfile:hh-{n:03d}:{to}")


def test_a_household_moved_to_another_site_is_withdrawn_from_the_first_under_its_own_id() -> None:
    event, envelope = moved(1, "site-asni", SITE)

    sent = offer_to_site(event, envelope)

    assert [type(command).__name__ for command, _ in sent] == [
        "WithdrawHouseholds", "OfferHouseholds",
    ]  # fmt: skip
    withdraw, offer = (command for command, _ in sent)
    assert isinstance(withdraw, WithdrawHouseholds) and withdraw.site_id == SITE
    assert isinstance(offer, OfferHouseholds) and offer.site_id == "site-asni"
    assert len({wire.command_id for _, wire in sent}) == 2
    assert offer_to_site(event, envelope) == sent  # reacting again: the same commands


def test_the_place_a_household_leaves_goes_to_the_first_one_waiting() -> None:
    store = AggregateStore(SlotsDecider())
    decided(store, plan_command())  # 3 hours of 2: six places
    for n in range(1, 8):
        offered(store, *registered(n))
    assert "hh-007" not in store.state(SITE).plans[CAMPAIGN].held  # the seventh waits

    left = offered(store, *moved(2, "site-asni", SITE))

    assert [type(e).__name__ for e in left] == [
        "HouseholdsWithdrawn", "SlotReleased", "SlotAssigned", "HouseholdsExpected",
    ]  # fmt: skip
    released, given = left[1], left[2]
    assert isinstance(released, SlotReleased) and released.reason == "left_site"
    assert (released.household_id, released.hour) == ("hh-002", 9)
    assert isinstance(given, SlotAssigned) and (given.household_id, given.hour) == ("hh-007", 9)
    held = store.state(SITE).plans[CAMPAIGN].held
    assert "hh-002" not in held and held["hh-007"] == (FRI, 9)
    assert "hh-002" not in store.state(SITE).expected
    assert isinstance(left[0], HouseholdsWithdrawn)
    # withdrawn again (the same event redelivered): nothing more
    assert offered(store, *moved(2, "site-asni", SITE))[:1] == []


def test_a_household_no_longer_admitted_gives_up_its_slot_and_stays_expected() -> None:
    store = AggregateStore(SlotsDecider())
    decided(store, plan_command())  # for MA07
    offered(store, *registered(1))

    gone = offered(store, *moved(1, SITE, None, region_code="MA06"))

    released = [e for e in gone if isinstance(e, SlotReleased)]
    assert [(e.household_id, e.reason) for e in released] == [("hh-001", "not_admitted")]
    assert not store.state(SITE).plans[CAMPAIGN].held
    assert "hh-001" in store.state(SITE).expected
