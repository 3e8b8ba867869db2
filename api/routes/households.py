"""Households: registered once, found by identifier, private by design."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from api import answers, requests
from api.deps import CurrentUser, IdempotencyKey, Now, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.households import (
    CardPublic,
    HouseholdCreate,
    HouseholdPublic,
    Lookup,
    ProfileChange,
)
from events.households import ErasureReason
from services.app import cards, households

router = Router(prefix="/v1/households", tags=["households"])


@router.post("", status_code=201, response_model=HouseholdPublic)
async def register_household(
    body: HouseholdCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> HouseholdPublic:
    """Register a household; the same person twice is a 409 naming the existing household."""
    household = requests.household(body, body.id or idempotency_key or str(uuid.uuid4()))
    shown, outcome = await households.register_household(services, user, now, household)
    answers.repeated(outcome, response)
    return answers.household_public(shown, outcome.position)


@router.post("/lookup", response_model=HouseholdPublic)
async def lookup_household(
    body: Lookup, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> HouseholdPublic:
    """Find a household by national ID or registry number (given in the body, never a URL)."""
    found = await households.lookup_household(
        services, user, body.national_id, body.registry_number
    )
    return answers.household_public(found)


@router.get("/{household_id}", response_model=HouseholdPublic)
async def get_household(
    household_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> HouseholdPublic:
    """One household's profile (and personal data, for the roles that may see it)."""
    return answers.household_public(await households.get_household(services, user, household_id))


@router.put("/{household_id}/profile", response_model=HouseholdPublic)
async def update_profile(
    household_id: str,
    body: ProfileChange,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> HouseholdPublic:
    """Record the household's situation assessed again: its whole profile replaces the old;
    the same profile again changes nothing."""
    change = requests.profile_update(body, household_id)
    client_id = f"{household_id}:{idempotency_key or uuid.uuid4()}"
    shown, outcome = await households.update_profile(services, user, now, change, client_id)
    return answers.household_public(shown, outcome.position)


@router.post("/{household_id}/card", status_code=201, response_model=CardPublic)
async def issue_card(
    household_id: str,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CardPublic:
    """Issue the household's card, or a new one replacing it (the old card stops working)."""
    client_id = f"{household_id}:{idempotency_key or uuid.uuid4()}"
    card, outcome = await cards.issue_card(services, user, now, household_id, client_id)
    answers.repeated(outcome, response)
    return CardPublic(position=outcome.position, **card)


@router.get("/{household_id}/card", response_model=CardPublic)
async def current_card(
    household_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> CardPublic:
    """The household's current card, to print (404 `no_card` when it has none yet)."""
    return CardPublic(**await cards.current_card(services, user, household_id))


@router.delete("/{household_id}/personal-data", response_model=HouseholdPublic)
async def erase_personal_data(
    household_id: str,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    reason: Annotated[
        ErasureReason | None, Query(description="Why, recorded with the erasure.")
    ] = None,
) -> HouseholdPublic:
    """Destroy the household's key: its identity is gone, anonymous counts stay."""
    shown, outcome = await households.erase_personal_data(services, user, now, household_id, reason)
    return answers.household_public(shown, outcome.position)
