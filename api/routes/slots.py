"""Appointments: a campaign's slot plan at a site, its changes, and the slots a household
holds."""

from __future__ import annotations

import uuid

from fastapi import Response

from api import answers
from api.deps import CurrentUser, IdempotencyKey, Now, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.slots import (
    DayAdding,
    DayClosing,
    HouseholdSlot,
    HouseholdSlots,
    SlotMove,
    SlotPlanPublic,
    SlotPlanPut,
)
from api.schemas.stock import Decision
from services.app import slots
from services.domain.slots.commands import AddSlotDay, CloseSiteDay, MoveSlot

router = Router(tags=["slots"])
PLAN = "/v1/campaigns/{campaign_id}/sites/{site_id}/slot-plan"


@router.put(PLAN, status_code=201, response_model=Decision)
async def set_slot_plan(
    campaign_id: str,
    site_id: str,
    body: SlotPlanPut,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Set the site's days, hours and safe capacity in the campaign; every household it
    expects gets a slot (200 when it has that plan already; 409 when the plan would drop or
    overfill slots already held)."""
    hours, command_id = (body.opens_at, body.closes_at), idempotency_key or str(uuid.uuid4())
    outcome = await slots.set_slot_plan(services, user, now, campaign_id, site_id, body.days,
                                        hours, body.per_hour, command_id)  # fmt: skip
    return answers.decision(outcome, response)


@router.get(PLAN, response_model=SlotPlanPublic)
async def slot_plan(
    campaign_id: str, site_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> SlotPlanPublic:
    """The plan and, per hour, the households expected, served and out of slot, with the
    peak served in an hour against the safe capacity (an alert when over)."""
    return SlotPlanPublic.model_validate(
        await slots.slot_plan(services, user, campaign_id, site_id)
    )


@router.post(f"{PLAN}/moves", status_code=201, response_model=Decision)
async def move_slot(
    campaign_id: str,
    site_id: str,
    body: SlotMove,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Move a household to another slot of the plan (409 when full or not in the plan)."""
    command = MoveSlot(campaign_id=campaign_id, site_id=site_id, **body.model_dump())
    return await _change(services, user, now, command, idempotency_key, response)


@router.post(f"{PLAN}/closed-days", status_code=201, response_model=Decision)
async def close_day(
    campaign_id: str,
    site_id: str,
    body: DayClosing,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Close the site for a day: its households move to the next free slots of the days
    after (409 when those lack room: add a day first)."""
    command = CloseSiteDay(campaign_id=campaign_id, site_id=site_id, **body.model_dump())
    return await _change(services, user, now, command, idempotency_key, response)


@router.post(f"{PLAN}/days", status_code=201, response_model=Decision)
async def add_day(
    campaign_id: str,
    site_id: str,
    body: DayAdding,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Add a distribution day with the plan's hours; households waiting for room get slots."""
    command = AddSlotDay(campaign_id=campaign_id, site_id=site_id, day=body.day)
    return await _change(services, user, now, command, idempotency_key, response)


@router.get("/v1/households/{household_id}/slots", response_model=HouseholdSlots)
async def household_slots(
    household_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> HouseholdSlots:
    """The appointments a household holds, one per campaign, as its card and ticket show."""
    found = await slots.household_slots(services, user, household_id)
    return HouseholdSlots(household_id=household_id, items=[HouseholdSlot(**s) for s in found])


async def _change(
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    command: slots.SlotChange,
    idempotency_key: str | None,
    response: Response,
) -> Decision:
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await slots.change_slots(services, user, now, command, command_id)
    return answers.decision(outcome, response)
