"""The single writer of a site's appointments: every household a plan admits gets a slot,
never more households in an hour than the site serves safely, and nobody twice.

Deterministic and idempotent: households are placed in id order in the next free slots (the
elderly and people with disabilities first, in the first hours of each day), and a
household that holds a slot keeps it whatever is offered again."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from events import Event
from events.slots import (
    HouseholdsExpected,
    HouseholdsWithdrawn,
    SiteDayClosed,
    SlotAssigned,
    SlotDayAdded,
    SlotMoved,
    SlotMoveReason,
    SlotPlanSet,
    SlotReleased,
    SlotReleaseReason,
)
from services.domain.commands import Command
from services.domain.deciding import each_in_order
from services.domain.decisions import Refused, Rejected
from services.domain.dispatching import on_message
from services.domain.slots.commands import (
    SLOT_COMMANDS,
    STREAM,
    AddSlotDay,
    CloseSiteDay,
    MoveSlot,
    OfferHouseholds,
    SetSlotPlan,
    WithdrawHouseholds,
)
from services.domain.slots.state import Plan, SiteSlots, Slot, evolve, first, place


@on_message
def decide(state: SiteSlots, command: Command, now: datetime) -> list[Event]:
    raise Rejected("unknown_command", f"slots cannot handle {command.TYPE}")


def _plan(state: SiteSlots, campaign_id: str, site_id: str) -> Plan:
    plan = state.plans.get(campaign_id)
    if plan is None:
        raise Refused(
            "no_slot_plan",
            f"campaign {campaign_id!r} has no slot plan at site {site_id!r}: set one first",
            campaign_id=campaign_id,
            site_id=site_id,
        )
    return plan


def _assign(state: SiteSlots, campaign_id: str, household_ids: list[str]) -> list[Event]:
    plan = state.plans[campaign_id]
    site_id = plan.rules.site_id
    return [
        SlotAssigned(campaign_id=campaign_id, site_id=site_id, household_id=h, day=day, hour=hour)
        for h, (day, hour) in place(plan, household_ids, early=_early(state, household_ids))
    ]


def _early(state: SiteSlots, household_ids: list[str]) -> set[str]:
    return {h for h in household_ids if first(state.expected.get(h))}


def _folded(state: SiteSlots, events: list[Event]) -> SiteSlots:
    for event in events:
        state = evolve(state, event)
    return state


@decide.register
def _(state: SiteSlots, command: SetSlotPlan, now: datetime) -> list[Event]:
    """The plan (unless the same again), then slots for the households it admits that hold
    none. A new plan must keep every slot already held."""
    if command.closes_at <= command.opens_at:
        raise Rejected("invalid_hours", "the site must close after it opens", field="closes_at")
    planned = SlotPlanSet(**command.model_dump() | {"days": sorted(set(command.days))})
    current = state.plans.get(command.campaign_id)
    events: list[Event] = []
    if current is None or _as_planned(current) != planned:
        _keeps_held(current, planned)
        events.append(planned)
    state = _folded(state, events)
    return events + _assign(state, command.campaign_id, state.waiting(command.campaign_id))


def _as_planned(plan: Plan) -> SlotPlanSet:
    """The plan as it stands (its days closed or added since), as if set so."""
    return plan.rules.model_copy(update={"days": list(plan.days)})


def _keeps_held(current: Plan | None, planned: SlotPlanSet) -> None:
    if current is None:
        return
    proposed = Plan(planned, tuple(planned.days))
    lost = [slot for slot, n in current.filled.items() if n and not proposed.has(slot)]
    over = [slot for slot, n in current.filled.items() if n > planned.per_hour]
    if lost or over:
        day, hour = min(lost or over)
        raise Refused(
            "plan_in_use",
            f"households already hold slots on {day} at {hour}:00 that this plan drops or "
            "overfills: move them first, or keep those days, hours and capacity",
            day=str(day),
            hour=hour,
        )


@decide.register
def _(state: SiteSlots, command: OfferHouseholds, now: datetime) -> list[Event]:
    """Remember the households new (or with a new profile) here; release the slots of those
    a plan no longer admits (their place goes to those waiting); give the ones each plan
    admits and that hold no slot in it the next free slots."""
    new = [h for h in command.households if state.expected.get(h.household_id) != h]
    events: list[Event] = []
    if new:
        events.append(HouseholdsExpected(site_id=command.site_id, households=new))
        state = _folded(state, events)
    offered = sorted({h.household_id for h in command.households})
    for campaign_id in sorted(state.plans):
        plan = state.plans[campaign_id]
        refused = [h for h in offered if h in plan.held and not plan.admits(state.expected[h])]
        released = _released(plan, refused, "not_admitted")
        state = _folded(state, released)
        events += released
        waiting = state.waiting(campaign_id) if released else [
            h for h in offered if h not in plan.held and plan.admits(state.expected[h])
        ]  # fmt: skip
        events += _assign(state, campaign_id, waiting)
    return events


@decide.register
def _(state: SiteSlots, command: WithdrawHouseholds, now: datetime) -> list[Event]:
    """Forget the households here; release the slots they held, and give the places to the
    households waiting (nothing when none of them was expected here: a retry)."""
    gone = sorted({h for h in command.household_ids if h in state.expected})
    if not gone:
        return []
    events: list[Event] = [HouseholdsWithdrawn(site_id=command.site_id, household_ids=gone)]
    state = _folded(state, events)
    for campaign_id in sorted(state.plans):
        released = _released(state.plans[campaign_id], gone, "left_site")
        if released:
            state = _folded(state, released)
            events += released + _assign(state, campaign_id, state.waiting(campaign_id))
    return events


def _released(plan: Plan, household_ids: list[str], why: SlotReleaseReason) -> list[Event]:
    rules = plan.rules
    return [
        SlotReleased(campaign_id=rules.campaign_id, site_id=rules.site_id, household_id=h,
                     day=plan.held[h][0], hour=plan.held[h][1], reason=why)
        for h in household_ids
        if h in plan.held
    ]  # fmt: skip


@decide.register
def _(state: SiteSlots, command: MoveSlot, now: datetime) -> list[Event]:
    plan = _plan(state, command.campaign_id, command.site_id)
    before = plan.held.get(command.household_id)
    if before is None:
        raise Refused(
            "no_slot",
            f"household {command.household_id!r} holds no slot in this plan",
            household_id=command.household_id,
        )
    slot = (command.day, command.hour)
    if slot == before:
        return []
    if not plan.has(slot):
        raise Refused(
            "not_a_slot",
            f"the site does not distribute on {command.day} at {command.hour}:00 in this "
            "campaign: pick a day and hour of its plan",
            field="day",
        )
    if plan.free(slot) <= 0:
        raise Refused(
            "slot_full",
            f"the slot of {command.day} at {command.hour}:00 is full: pick another",
            per_hour=plan.rules.per_hour,
        )
    return [_moved(command.campaign_id, command.site_id, command.household_id, before, slot,
                   "moved")]  # fmt: skip


def _moved(
    campaign_id: str,
    site_id: str,
    household_id: str,
    before: Slot,
    slot: Slot,
    why: SlotMoveReason,
) -> SlotMoved:
    return SlotMoved(
        campaign_id=campaign_id, site_id=site_id, household_id=household_id,
        from_day=before[0], from_hour=before[1], day=slot[0], hour=slot[1], reason=why,
    )  # fmt: skip


@decide.register
def _(state: SiteSlots, command: CloseSiteDay, now: datetime) -> list[Event]:
    """The day closed; its households (by hour, then id) moved to the next free slots of
    the following days, or a refusal when those cannot take them all."""
    plan = _plan(state, command.campaign_id, command.site_id)
    if command.day not in plan.days:
        raise Refused(
            "not_a_day",
            f"the site does not distribute on {command.day} in this campaign",
            field="day",
        )
    closed = SiteDayClosed(**command.model_dump())
    held = sorted((slot[1], h) for h, slot in plan.held.items() if slot[0] == command.day)
    after = _folded(state, [closed]).plans[command.campaign_id]
    moving = [h for _, h in held]
    moves = place(after, moving, after=command.day, early=_early(state, moving))
    if len(moves) < len(held):
        raise Refused(
            "no_room",
            f"the days after {command.day} have room for {len(moves)} of the {len(held)} "
            "households of that day: add a day first",
            households=len(held),
            room=len(moves),
        )
    return [closed] + [
        _moved(command.campaign_id, command.site_id, h, plan.held[h], slot, "day_closed")
        for h, slot in moves
    ]


@decide.register
def _(state: SiteSlots, command: AddSlotDay, now: datetime) -> list[Event]:
    """One more day (none when it is one already); the households waiting for a slot get
    one."""
    plan = _plan(state, command.campaign_id, command.site_id)
    if command.day in plan.days:
        return []
    added = SlotDayAdded(**command.model_dump())
    state = _folded(state, [added])
    return [added, *_assign(state, command.campaign_id, state.waiting(command.campaign_id))]


class SlotsDecider:
    """Decides the appointments of each distribution site, and the households' offers to the
    sites of a partition in a batch."""

    event_stream: str = "slots"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = {k.TYPE: k for k in SLOT_COMMANDS}
    initial = staticmethod(SiteSlots)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
    decide_batch = staticmethod(each_in_order(decide, evolve))
