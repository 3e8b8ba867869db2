"""Appointments: a coordinator's slot plan for a campaign at a site, its changes, and what
the coordinator, the agents and the household card read of it.

Setting a plan gives a slot to every household the site's writer knows it expects; the
households of the registry expected there are offered to it again too (`offer_expected`:
those registered before the writer heard of them), as `aid slots assign` does. An offer of a
household the writer already holds changes nothing, so offering again is always safe."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from events.slots import ExpectedHousehold
from projections import slot_queries
from services.app.errors import NotFound
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, seen
from services.app.sending import Outcome, decide
from services.app.site_lists import campaign_at_site
from services.domain.slots.commands import (
    AddSlotDay,
    CloseSiteDay,
    MoveSlot,
    OfferHouseholds,
    SetSlotPlan,
)

SlotChange = MoveSlot | CloseSiteDay | AddSlotDay


async def set_slot_plan(
    ports: Ports,
    user: User,
    now: datetime,
    campaign_id: str,
    site_id: str,
    days: list[date],
    hours: tuple[int, int],
    per_hour: int,
    command_id: str,
) -> Outcome:
    """Distribute on `days` from `hours[0]` to `hours[1]`, `per_hour` households an hour, to
    the households of the site the campaign's current rules admit. The plan the site already
    has, set again, records nothing (under any id): it answers as a repeat."""
    authorize(user, "slots.write")
    terms = await campaign_at_site(ports, campaign_id, site_id)
    command = SetSlotPlan.model_validate({
        "campaign_id": campaign_id, "site_id": site_id, "days": sorted(set(days)),
        "opens_at": hours[0], "closes_at": hours[1], "per_hour": per_hour,
        "region_codes": terms.region_codes, "groups": terms.groups,
        "max_precarity_score": terms.max_precarity_score,
    })  # fmt: skip
    reply = await decide(ports, command, command_id, user, now)
    await offer_expected(ports, user, now, site_id)
    return Outcome.registered(campaign_id, reply)


async def offer_expected(ports: Ports, user: User, now: datetime, site_id: str) -> int:
    """Offer every household of the registry expected at the site to the site's writer;
    how many got a slot."""
    authorize(user, "slots.write")
    assigned = 0
    for chunk in await in_thread(lambda: list(slot_queries.profiles_at(ports.engine, site_id))):
        households = [ExpectedHousehold.model_validate(row) for row in chunk]
        command = OfferHouseholds(site_id=site_id, households=households)
        # a new id each time: an offer of households the writer holds records nothing
        reply = await decide(ports, command, str(uuid.uuid4()), user, now)
        assigned += sum(1 for e in reply.events if e["type"] == "SlotAssigned")
    return assigned


async def change_slots(
    ports: Ports, user: User, now: datetime, command: SlotChange, command_id: str
) -> Outcome:
    """Move a household's slot, close a day of the plan, or add one."""
    authorize(user, "slots.write")
    await campaign_at_site(ports, command.campaign_id, command.site_id)
    reply = await decide(ports, command, command_id, user, now)
    return Outcome.of(command_id, reply)


async def slot_plan(ports: Ports, user: User, campaign_id: str, site_id: str) -> dict[str, Any]:
    """The plan with, per slot, the households expected, served and out of slot, and the
    peak served in an hour against the site's safe capacity (NotFound without a plan)."""
    authorize(user, "sitelists.read", location_id=site_id)
    await campaign_at_site(ports, campaign_id, site_id)
    found = await seen(ports, "slots", slot_queries.slot_figures, campaign_id, site_id)
    if found is None:
        raise NotFound(
            f"campaign {campaign_id!r} has no slot plan at site {site_id!r}", error="no_slot_plan"
        )
    return found


async def slot_now(
    ports: Ports, user: User, campaign_id: str, site_id: str, now: datetime
) -> dict[str, Any] | None:
    """The slot under way at the site: who it expects, served, not come yet (None: none)."""
    authorize(user, "sitelists.read", location_id=site_id)
    return await in_thread(slot_queries.current_slot, ports.engine, campaign_id, site_id, now)


async def household_slots(ports: Ports, user: User, household_id: str) -> list[dict[str, Any]]:
    """The appointments a household holds, one per campaign (for its card and ticket)."""
    authorize(user, "households.read")
    return await in_thread(slot_queries.slots_of_household, ports.engine, household_id)
