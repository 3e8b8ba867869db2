"""Which lines of an import are new, which are repeated in the file, and which name a
person or an id the registry already knows. Only keyed pseudonyms and ids are compared;
messages name lines and households, never a person's value."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace
from typing import Any

from events.households import PROFILE
from projections import households_queries
from services.app.household_places import site_is_theirs
from services.app.permissions import User
from services.app.ports import Ports
from services.app.reading import in_thread
from services.domain.households.importing import FirstSeen, Line, Refusal
from services.domain.privacy import pseudonym

HOUSEHOLD_IDS = uuid.UUID("6f1d3c1e-5a0b-4c3e-9a51-7d1f0e2b9c44")


@dataclass(frozen=True)
class LineOutcome:
    """What became (or, in a dry run, would become) of one line."""

    line: int
    status: str  # registered | updated | unchanged | refused
    household_id: str | None = None
    reason: str | None = None
    message: str | None = None
    first_line: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A valid line ready to register: its ids and pseudonyms, and the values to seal; or,
    when its household is registered already in another situation, the row to update."""

    line: int
    household_id: str
    identity: str
    cin: str | None
    registry: str | None
    values: dict[str, Any]
    registered: dict[str, Any] | None = None


def household_id_for(identity: str) -> str:
    """The id a person's household gets when the registry gives none: derived from the
    keyed pseudonym, so the same person always gets the same id and nothing reveals them."""
    return str(uuid.uuid5(HOUSEHOLD_IDS, identity))


def _number(text: str) -> int:
    """A 64-bit number standing for a pseudonym or an id (to tell repeated lines apart)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest())


async def checked(
    ports: Ports,
    user: User,
    batch: list[Line | Refusal],
    people: FirstSeen,
    ids: FirstSeen,
    regions: frozenset[str] | None = None,
) -> tuple[list[LineOutcome], list[Candidate]]:
    """The batch's lines refused or unchanged so far, and the candidates left to register
    or to update (by this user: to a site of theirs; a household they update, in one of the
    `regions` they serve, when they serve only some)."""
    outcomes = [_refused(entry) for entry in batch if isinstance(entry, Refusal)]
    fresh: list[Candidate] = []
    for entry in (e for e in batch if isinstance(e, Line)):
        candidate = _candidate(ports, entry)
        keys = [_number(p) for p in (candidate.cin, candidate.registry) if p]
        if (first := people.earlier(keys)) is not None:
            outcomes.append(_repeated(candidate, "duplicate_in_file", "the same person", first))
        elif (first := ids.earlier([_number(candidate.household_id)])) is not None:
            outcomes.append(_repeated(candidate, "id_repeated", "the same household id", first))
        else:
            people.note(candidate.line, keys)
            ids.note(candidate.line, [_number(candidate.household_id)])
            fresh.append(candidate)
    known = await _known(ports, fresh)
    candidates = []
    for candidate in fresh:
        outcome = _against_registry(candidate, known)
        if isinstance(outcome, Candidate):
            outcome = _within_scope(outcome, user, regions)
        if isinstance(outcome, Candidate):
            candidates.append(outcome)
        else:
            outcomes.append(outcome)
    return outcomes, candidates


def _candidate(ports: Ports, entry: Line) -> Candidate:
    key, values = ports.settings.pseudonym_key, entry.values
    cin = pseudonym(key, "cin", values["national_id"]) if values["national_id"] else None
    registry = (
        pseudonym(key, "registry", values["registry_number"]) if values["registry_number"] else None
    )
    identity = cin or registry
    assert identity is not None  # the line names one or the other
    household_id = values["id"] or household_id_for(identity)
    return Candidate(entry.line, household_id, identity, cin, registry, values)


def _refused(entry: Refusal) -> LineOutcome:
    return LineOutcome(entry.line, "refused", reason=entry.reason, message=entry.message)


def _repeated(candidate: Candidate, reason: str, what: str, first: int) -> LineOutcome:
    message = f"{what} is on line {first}; only that line is imported"
    return LineOutcome(candidate.line, "refused", None, reason, message, first)


async def _known(ports: Ports, fresh: list[Candidate]) -> dict[str, dict[str, dict[str, Any]]]:
    """The registered households these candidates' pseudonyms and ids already point to."""
    names = [p for c in fresh for p in (c.cin, c.registry) if p]
    by_name = await in_thread(households_queries.households_by_pseudonym, ports.engine, names)
    ids = [c.household_id for c in fresh]
    by_id = await in_thread(households_queries.households_by_id, ports.engine, ids)
    return {"name": by_name, "id": by_id}


def _against_registry(
    candidate: Candidate, known: dict[str, dict[str, dict[str, Any]]]
) -> LineOutcome | Candidate:
    """Unchanged if this person's household is registered already in this situation, to
    update if in another; refused if the person is registered in another household, or the
    id belongs to another person; else the candidate, to register."""
    names = (p for p in (candidate.cin, candidate.registry) if p)
    existing = next((known["name"][p] for p in names if p in known["name"]), None)
    hid = candidate.household_id
    if existing is not None and existing["household_id"] != hid:
        return taken(candidate.line, existing["household_id"])
    if existing is not None and same_situation(candidate.values, existing):
        return LineOutcome(candidate.line, "unchanged", hid)
    if existing is not None:
        return replace(candidate, registered=existing)
    row = known["id"].get(hid)
    if row is not None and row["identity"] != candidate.identity:
        return id_taken(candidate.line)
    return candidate


def _within_scope(
    candidate: Candidate, user: User, regions: frozenset[str] | None
) -> LineOutcome | Candidate:
    """Refused when the line would place its household at a site this user may not assign
    (as registering one refuses it; a site the household has already stands), or update a
    household outside the regions they serve, or move it out of them (as a profile update
    refuses it)."""
    registered = candidate.registered
    if registered is not None and regions is not None:
        if registered["region_code"] not in regions:
            beyond = "the household is registered in a region your sites do not serve"
            return LineOutcome(candidate.line, "refused", None, "out_of_reach", beyond)
        if candidate.values["region_code"] not in regions:
            moved = "a user assigned to sites moves a household only within their regions"
            return LineOutcome(
                candidate.line, "refused", candidate.household_id, "out_of_reach", moved
            )
    site = candidate.values.get("site_id")
    before = (candidate.registered or {}).get("site_id")
    if site is None or site == before or site_is_theirs(user, site):
        return candidate
    hid = candidate.household_id if candidate.registered else None
    message = "site_id is not one of your sites: you assign households only to your own"
    return LineOutcome(candidate.line, "refused", hid, "site_not_yours", message)


def same_situation(values: dict[str, Any], row: dict[str, Any]) -> bool:
    """The line says what the registry holds of the household's profile already (a column
    the file lacks says nothing)."""
    mine = {k: values.get(k, row[k]) for k in PROFILE} | {"groups": sorted(values["groups"])}
    theirs = {k: row[k] for k in PROFILE} | {"groups": sorted(row["groups"] or [])}
    return mine == theirs


def taken(line: int, elsewhere: str) -> LineOutcome:
    message = f"this person is already registered in household {elsewhere}"
    return LineOutcome(line, "refused", elsewhere, "already_registered", message)


def id_taken(line: int) -> LineOutcome:
    message = "the household id is another person's; give this line another id"
    return LineOutcome(line, "refused", None, "id_taken", message)
