"""Households: registered once, found by identifier, private by design."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import User, authorize
from api.decide import decide
from api.deps import CurrentUser, IdempotencyKey, Now, ServicesDep
from api.errors import Conflict, NotFound
from api.reads import ReadAfter
from api.schemas.households import (
    HouseholdCreate,
    HouseholdPublic,
    Lookup,
    PersonalFields,
)
from events.households import HouseholdRegistered
from projections import registry_queries
from services.households.decider import ErasePersonalData, RegisterHousehold
from services.privacy import pseudonym

router = APIRouter(prefix="/v1/households", tags=["households"])


def public(services: ServicesDep, row: dict[str, Any], user: User) -> HouseholdPublic:
    """The household as a role may see it: personal fields only for those allowed."""
    personal = None
    if not row["erased"] and user.role in ("admin", "coordinator", "agent"):
        opened = services.personal.open(row["household_id"], row["sealed_personal_data"])
        personal = PersonalFields(**opened) if opened else None
    return HouseholdPublic(
        id=row["household_id"],
        size=row["size"],
        region_code=row["region_code"],
        province_code=row["province_code"],
        groups=row["groups"],
        precarity_score=row["precarity_score"],
        erased=row["erased"],
        personal=personal,
    )


def pseudonyms(services: ServicesDep, national_id: str | None, registry: str | None) -> list[str]:
    key = services.settings.pseudonym_key
    found = [
        pseudonym(key, "cin", national_id) if national_id else None,
        pseudonym(key, "registry", registry) if registry else None,
    ]
    return [p for p in found if p]


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
    authorize(user, "households.write")
    household_id = body.id or idempotency_key or str(uuid.uuid4())
    cin_p, reg_p = (
        pseudonym(services.settings.pseudonym_key, k, v) if v else None
        for k, v in (("cin", body.national_id), ("registry", body.registry_number))
    )
    identity = cin_p or reg_p
    assert identity is not None
    existing = await run_in_threadpool(registry_queries.household, services.engine, household_id)
    if existing and existing["identity"] != identity:
        raise Conflict(
            f"household id {household_id!r} is taken; choose another id", error="already_exists"
        )
    for known_as in (p for p in (cin_p, reg_p) if p):
        same = await run_in_threadpool(
            registry_queries.household_by_pseudonym, services.engine, known_as
        )
        if same and same["household_id"] != household_id:
            raise Conflict(
                f"this person is already registered in household {same['household_id']}",
                error="already_registered",
                household_id=same["household_id"],
            )
    await run_in_threadpool(services.personal.new_key, household_id)
    sealed = await run_in_threadpool(
        services.personal.seal,
        household_id,
        body.model_dump(include={"head_name", "national_id", "registry_number", "phone"}),
    )
    event = HouseholdRegistered(
        household_id=household_id,
        identity=identity,
        national_id_pseudonym=cin_p,
        registry_pseudonym=reg_p,
        sealed_personal_data=sealed,
        **body.model_dump(
            include={"size", "region_code", "province_code", "groups", "precarity_score"}
        ),
    )
    try:
        reply = await decide(services, RegisterHousehold(household=event), household_id, user, now)
    except Conflict:
        if existing is None:
            await run_in_threadpool(services.personal.erase, household_id)  # orphan key
        raise
    if reply.replayed:
        response.status_code = 200
    answer = public(services, event.model_dump() | {"erased": False}, user)
    answer.position = reply.position
    return answer


@router.post("/lookup", response_model=HouseholdPublic)
async def lookup_household(
    body: Lookup, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> HouseholdPublic:
    """Find a household by national ID or registry number (given in the body, never a URL)."""
    authorize(user, "households.read")
    for candidate in pseudonyms(services, body.national_id, body.registry_number):
        row = await run_in_threadpool(
            registry_queries.household_by_pseudonym, services.engine, candidate
        )
        if row:
            return public(services, row, user)
    raise NotFound("no household with this identifier", error="unknown_household")


@router.get("/{household_id}", response_model=HouseholdPublic)
async def get_household(
    household_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> HouseholdPublic:
    """One household's profile (and personal data, for the roles that may see it)."""
    authorize(user, "households.read")
    row = await run_in_threadpool(registry_queries.household, services.engine, household_id)
    if row is None:
        raise NotFound(f"no household {household_id!r}", error="unknown_household")
    return public(services, row, user)


@router.delete("/{household_id}/personal-data", response_model=HouseholdPublic)
async def erase_personal_data(
    household_id: str, services: ServicesDep, user: CurrentUser, now: Now
) -> HouseholdPublic:
    """Destroy the household's key: its identity is gone, anonymous counts stay."""
    authorize(user, "households.erase")
    row = await run_in_threadpool(registry_queries.household, services.engine, household_id)
    if row is None:
        raise NotFound(f"no household {household_id!r}", error="unknown_household")
    command = ErasePersonalData(household_id=household_id, identity=row["identity"])
    reply = await decide(services, command, f"erase:{household_id}", user, now)
    await run_in_threadpool(services.personal.erase, household_id)
    answer = public(services, row | {"erased": True}, user)
    answer.position = reply.position
    return answer
