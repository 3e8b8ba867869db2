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
from events.slots import SlotAssigned
from services.domain.commands import CommandEnvelope
from services.domain.deciding import AggregateStore
from services.domain.policies.slots import offer_to_site
from services.domain.slots.commands import OfferHouseholds, SetSlotPlan
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
    """The offer the policy asks for, decided by the site's writer; the events it records."""
    sent = offer_to_site(event, envelope)  # type: ignore[arg-type]
    assert sent is not None
    return decided(store, sent[1])


def decided(store: AggregateStore[SiteSlots], command: CommandEnvelope) -> list[Event]:
    decision = store.take(command)
    store.fold(decision)
    return [event for _, event in decision.events]


def test_a_household_registered_at_a_site_is_offered_to_it_under_an_id_from_its_event() -> None:
    event, envelope = registered(1)

    sent = offer_to_site(event, envelope)

    assert sent is not None
    command, wire = sent
    assert isinstance(command, OfferHouseholds)
    assert command.site_id == SITE
    assert [h.household_id for h in command.households] == ["hh-001"]
    assert wire.command_id == f"OfferHouseholds:{envelope.event_id}"
    assert offer_to_site(event, envelope) == sent  # reacting again: the same command


def test_a_household_without_a_site_is_offered_to_none() -> None:
    assert offer_to_site(*registered(1, site_id=None)) is None


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
    assert store.state(SITE).plans[CAMPAIGN].held == {"hh-001": (FRI, 9)}
