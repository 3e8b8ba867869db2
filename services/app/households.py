"""Households: registered once, found by identifier, private by design."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events.households import PROFILE, ErasureReason
from projections import households_queries, queries
from services.app.errors import Conflict, Forbidden, Invalid, NotFound
from services.app.household_places import (
    check_area,
    check_site_is_theirs,
    regions_served,
    sites_of,
)
from services.app.household_profiles import (
    RESEALED,
    Household,
    ProfileUpdate,
    as_row,
    sealed_extras,
    size_and_counts,
)
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, seen
from services.app.reference import distribution_site
from services.app.sending import Outcome, decide
from services.domain.households.decider import (
    ErasePersonalData,
    RegisterHousehold,
    UpdateHouseholdProfile,
)
from services.domain.households.members import from_columns
from services.domain.privacy import IdTaken, normalise_identifier, pseudonym

PERSONAL = ("national_id", "registry_number", "head_name", "phone")
SEES_PERSONAL_DATA = ("admin", "coordinator", "agent")


def view(ports: Ports, row: dict[str, Any], user: User) -> dict[str, Any]:
    """The household as a role may see it: personal fields only for those allowed; the
    member counts (plain numbers) for all who see the household."""
    personal = None
    if not row["erased"] and user.role in SEES_PERSONAL_DATA:
        personal = ports.personal.open(row["household_id"], row["sealed_personal_data"]) or None
    counts = from_columns(row)
    return {"household_id": row["household_id"], **{k: row[k] for k in PROFILE}} | {
        "members": counts.model_dump() if counts else None,
        "erased": row["erased"],
        "personal": personal,
    }


def pseudonyms(ports: Ports, national_id: str | None, registry: str | None) -> list[str]:
    key = ports.settings.pseudonym_key
    found = [
        pseudonym(key, "cin", national_id) if national_id else None,
        pseudonym(key, "registry", registry) if registry else None,
    ]
    return [p for p in found if p]


async def register_household(
    ports: Ports, user: User, now: datetime, body: Household
) -> tuple[dict[str, Any], Outcome]:
    """Register a household; the same person twice is a Conflict naming the existing one."""
    authorize(user, "households.write")
    household_id = body.id
    size, counted = size_and_counts(body.size, body.members, now)
    await check_area(ports, body.region_code, body.province_code)
    await _check_site(ports, user, body.site_id, body.region_code)
    cin_p, reg_p = (
        pseudonym(ports.settings.pseudonym_key, k, v) if v else None
        for k, v in (("cin", body.national_id), ("registry", body.registry_number))
    )
    identity = cin_p or reg_p
    assert identity is not None
    existing = await in_thread(households_queries.household, ports.engine, household_id)
    if existing and existing["identity"] != identity:
        raise Conflict(
            f"household id {household_id!r} is taken; choose another id", error="already_exists"
        )
    for known_as in (p for p in (cin_p, reg_p) if p):
        same = await in_thread(households_queries.household_by_pseudonym, ports.engine, known_as)
        if same and same["household_id"] != household_id:
            raise Conflict(
                f"this person is already registered in household {same['household_id']}",
                error="already_registered",
                household_id=same["household_id"],
            )
    try:
        await in_thread(ports.personal.claim, household_id, identity)
    except IdTaken:
        raise Conflict(
            f"household id {household_id!r} is taken; choose another id", error="already_exists"
        ) from None
    personal = {k: getattr(body, k) for k in PERSONAL} | sealed_extras(body)
    sealed = await in_thread(ports.personal.seal, household_id, personal)
    command = RegisterHousehold(
        household_id=household_id,
        identity=identity,
        national_id_pseudonym=cin_p,
        registry_pseudonym=reg_p,
        sealed_personal_data=sealed,
        **{k: getattr(body, k) for k in PROFILE} | {"size": size} | counted,
    )
    try:
        reply = await decide(ports, command, household_id, user, now)
    except Conflict as refused:
        # The person lives in another household: the id claimed here holds nothing, and
        # the claim is theirs alone, so giving it up cannot touch anyone else's key.
        elsewhere = refused.details.get("household_id") not in (None, household_id)
        if refused.error == "already_registered" and elsewhere:
            await in_thread(ports.personal.release, household_id, identity)
        raise
    shown = view(ports, as_row(command) | {"erased": False}, user)
    return shown, Outcome.of(household_id, reply)


async def update_profile(
    ports: Ports, user: User, now: datetime, change: ProfileUpdate, client_id: str
) -> tuple[dict[str, Any], Outcome]:
    """Record the household's new situation, decided by its writer: the same as it has
    already is recorded once (a retry changes nothing). Answers the household as it now is."""
    authorize(user, "households.write")
    household_id = change.household_id
    row = await seen(ports, "households", households_queries.household, household_id)
    if row is None or row["erased"] or not await within_reach(ports, user, row):
        raise NotFound(f"no household {household_id!r}", error="unknown_household")
    await check_area(ports, change.region_code, change.province_code)
    if not await within_reach(ports, user, {"region_code": change.region_code}):
        raise Forbidden(
            "a user assigned to sites moves a household only within the regions they serve",
            permission="households.write",
        )
    size, counted = size_and_counts(change.size, change.members, now)
    if change.site_id != row["site_id"]:
        await _check_site(ports, user, change.site_id, change.region_code)
    current = ports.personal.open(household_id, row["sealed_personal_data"])
    sealed = None
    if current is not None:  # sealing is deterministic: unchanged fields seal the same
        given = {k: getattr(change, k) for k in RESEALED if getattr(change, k) is not None}
        personal = {k: v for k, v in current.items() if k != "members"} | given
        sealed = await in_thread(
            ports.personal.seal, household_id, personal | sealed_extras(change)
        )
    command = UpdateHouseholdProfile(
        household_id=household_id,
        identity=row["identity"],
        sealed_personal_data=sealed,
        **{k: getattr(change, k) for k in PROFILE} | {"size": size} | counted,
    )
    reply = await decide(ports, command, client_id, user, now)
    updated = (
        row | as_row(command) | {"sealed_personal_data": sealed or row["sealed_personal_data"]}
    )
    shown = await _shown(ports, updated, user, "household")
    return shown, Outcome.of(household_id, reply)


async def lookup_household(
    ports: Ports, user: User, national_id: str | None, registry_number: str | None = None
) -> dict[str, Any]:
    """Find a household by national ID or registry number (at most `ports.lookups` a minute
    per user; an agent finds only households of their sites' regions)."""
    authorize(user, "households.read")
    ports.lookups.take(user.username)
    for candidate in pseudonyms(ports, national_id, registry_number):
        row = await in_thread(households_queries.household_by_pseudonym, ports.engine, candidate)
        if row and await within_reach(ports, user, row):
            return await _shown(ports, row, user, "lookup")
    raise NotFound("no household with this identifier", error="unknown_household")


async def get_household(ports: Ports, user: User, household_id: str) -> dict[str, Any]:
    """One household's profile (and personal data, for the roles that may see it)."""
    authorize(user, "households.read")
    row = await seen(ports, "households", households_queries.household, household_id)
    if row is None or not await within_reach(ports, user, row):
        raise NotFound(f"no household {household_id!r}", error="unknown_household")
    return await _shown(ports, row, user, "household")


async def _check_site(ports: Ports, user: User, site_id: str | None, region_code: str) -> None:
    """A household is expected at a distribution site of its own region; a role scoped to
    sites assigns only its own."""
    if site_id is None:
        return
    site = await distribution_site(ports, site_id)
    if site is None:
        raise Invalid(f"no distribution site {site_id!r}", field="site_id")
    if site["region_code"] != region_code:
        raise Invalid(
            f"site {site_id!r} serves region {site['region_code']}, not {region_code}: "
            "choose a site of the household's region",
            field="site_id",
        )
    check_site_is_theirs(user, site_id)


async def within_reach(ports: Ports, user: User, row: dict[str, Any]) -> bool:
    """A user assigned to sites (an agent, a social worker) reaches the households of the
    regions their sites serve; others all. Out of reach answers like unknown, so household
    ids cannot be probed."""
    own = sites_of(user)
    if own is None:
        return True
    served = regions_served(user, await in_thread(queries.regions_of, ports.engine, own))
    return served is None or row["region_code"] in served


async def _shown(ports: Ports, row: dict[str, Any], user: User, via: str) -> dict[str, Any]:
    """The view, after recording that this user read this household's personal data."""
    shown = view(ports, row, user)
    if shown["personal"] is not None:
        await ports.audit.personal_data_read(user.actor, row["household_id"], via)
    return shown


async def household_to_erase(ports: Ports, user: User, asked: str) -> dict[str, Any]:
    """The household an erasure would touch, by household id or national ID, without its
    personal fields (whoever erases needs to know which household, not to read it)."""
    authorize(user, "households.erase")
    ports.lookups.take(user.username)
    row = await in_thread(households_queries.household, ports.engine, asked)
    if row is None:
        wanted = normalise_identifier(asked)
        by_pseudonym = households_queries.household_by_pseudonym
        for candidate in pseudonyms(ports, wanted, wanted):
            row = await in_thread(by_pseudonym, ports.engine, candidate)
            if row is not None:
                break
    if row is None:
        raise NotFound("no household with this id or identifier", error="unknown_household")
    return {"household_id": row["household_id"], **{k: row[k] for k in PROFILE}} | {
        "erased": row["erased"],
        "personal": None,
    }


async def erase_personal_data(
    ports: Ports,
    user: User,
    now: datetime,
    household_id: str,
    reason: ErasureReason | None = None,
) -> tuple[dict[str, Any], Outcome]:
    """Destroy the household's key: its identity is gone, anonymous counts stay."""
    authorize(user, "households.erase")
    row = await in_thread(households_queries.household, ports.engine, household_id)
    if row is None:
        raise NotFound(f"no household {household_id!r}", error="unknown_household")
    if row["erased"]:  # nothing left to erase, and no identity left to decide it under
        await in_thread(ports.personal.erase, household_id)
        return view(ports, row, user), Outcome(household_id, repeated=True)
    command = ErasePersonalData(household_id=household_id, identity=row["identity"], reason=reason)
    reply = await decide(ports, command, f"erase:{household_id}", user, now)
    await in_thread(ports.personal.erase, household_id)
    return view(ports, row | {"erased": True}, user), Outcome.of(household_id, reply)
