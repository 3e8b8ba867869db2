"""Importing a social registry's export: each valid line registered once, the others refused
with their line number and why.

Idempotent and resumable: a household's id is the registry's own (`id` column) or derived
from the person's keyed pseudonym, and its command id from the household id, so importing
the same file again, or again after a crash at any point, sends the same commands and the
household's single writer records each registration once. Nothing of a person is logged or
kept in clear: refusals name columns and lines, the lines themselves stay in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from projections import households_queries, imports_queries
from services.app.errors import Invalid
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread
from services.app.sending import decide_many
from services.domain.households.decider import RegisterHousehold
from services.domain.households.importing import FirstSeen, Line, Refusal, UnreadableFile, read
from services.domain.privacy import IdTaken, pseudonym

BATCH = 500  # lines checked, sealed and sent together
IN_FLIGHT = 4  # batches sent and not yet answered
HOUSEHOLD_IDS = uuid.UUID("6f1d3c1e-5a0b-4c3e-9a51-7d1f0e2b9c44")
PERSONAL = ("national_id", "registry_number", "head_name", "phone")
PROFILE = ("size", "region_code", "province_code", "groups", "precarity_score")


@dataclass(frozen=True)
class LineOutcome:
    """What became (or, in a dry run, would become) of one line."""

    line: int
    status: str  # registered | unchanged | refused
    household_id: str | None = None
    reason: str | None = None
    message: str | None = None
    first_line: int | None = None


@dataclass
class ImportReport:
    import_id: str
    dry_run: bool
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(imports_queries.COUNTS, 0))
    refused: list[LineOutcome] = field(default_factory=list)

    def add(self, outcomes: list[LineOutcome]) -> dict[str, int]:
        added = dict.fromkeys(imports_queries.COUNTS, 0) | {"lines_read": len(outcomes)}
        for o in outcomes:
            added[o.status] += 1
        for name, n in added.items():
            self.counts[name] += n
        self.refused.extend(o for o in outcomes if o.status == "refused")
        return added


@dataclass(frozen=True)
class Candidate:
    """A valid line ready to register: its ids and pseudonyms, and the values to seal."""

    line: int
    household_id: str
    identity: str
    cin: str | None
    registry: str | None
    values: dict[str, Any]


OnLines = Callable[[list[LineOutcome]], None]


def household_id_for(identity: str) -> str:
    """The id a person's household gets when the registry gives none: derived from the
    keyed pseudonym, so the same person always gets the same id and nothing reveals them."""
    return str(uuid.uuid5(HOUSEHOLD_IDS, identity))


def import_id_for(ports: Ports, digest: bytes, dry_run: bool) -> str:
    """An import's id from a keyed digest of its file: the same file is the same import."""
    keyed = hashlib.blake2b(digest, key=ports.settings.pseudonym_key.encode()[:64], digest_size=12)
    return f"{'dry' if dry_run else 'imp'}-{keyed.hexdigest()}"


async def import_households(
    ports: Ports,
    user: User,
    now: datetime,
    import_id: str,
    text: Iterable[str],
    *,
    dry_run: bool = False,
    on_lines: OnLines | None = None,
) -> ImportReport:
    """Check every line of the export and register the valid ones (not in a dry run)."""
    authorize(user, "households.write")
    areas = await in_thread(imports_queries.areas, ports.engine)
    try:
        lines = read(text, areas)
    except UnreadableFile as exc:
        raise Invalid(str(exc), field="file") from None
    await in_thread(imports_queries.start, ports.engine, import_id, dry_run, user.username, now)
    report = ImportReport(import_id, dry_run)
    try:
        await _run(ports, user, now, report, lines, on_lines)
    except BaseException:
        await asyncio.shield(
            in_thread(imports_queries.finish, ports.engine, import_id, "failed", now)
        )
        raise
    await in_thread(imports_queries.finish, ports.engine, import_id, "done", now)
    return report


async def _run(
    ports: Ports,
    user: User,
    now: datetime,
    report: ImportReport,
    lines: Iterator[Line | Refusal],
    on_lines: OnLines | None,
) -> None:
    people, ids = FirstSeen(), FirstSeen()
    sending: set[asyncio.Task[list[LineOutcome]]] = set()
    try:
        while batch := list(islice(lines, BATCH)):
            outcomes, candidates = await _checked(ports, batch, people, ids)
            if candidates and not report.dry_run:
                sending.add(asyncio.create_task(_register(ports, user, now, candidates)))
            else:
                outcomes += [LineOutcome(c.line, "registered", c.household_id) for c in candidates]
            await _recorded(ports, report, outcomes, now, on_lines)
            while len(sending) >= IN_FLIGHT:
                done, sending = await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    await _recorded(ports, report, task.result(), now, on_lines)
        for answered in asyncio.as_completed(sending):
            await _recorded(ports, report, await answered, now, on_lines)
    finally:  # a failed batch stops the import; a run again resumes it
        for task in sending:
            task.cancel()


async def _recorded(
    ports: Ports,
    report: ImportReport,
    outcomes: list[LineOutcome],
    now: datetime,
    on_lines: OnLines | None,
) -> None:
    if not outcomes:
        return
    outcomes.sort(key=lambda o: o.line)
    added = report.add(outcomes)
    refused = [
        {"line": o.line, "reason": o.reason, "message": o.message, "first_line": o.first_line,
         "household_id": o.household_id}
        for o in outcomes if o.status == "refused"
    ]  # fmt: skip
    await in_thread(imports_queries.record, ports.engine, report.import_id, added, refused, now)
    if on_lines is not None:
        on_lines(outcomes)


def _number(text: str) -> int:
    """A 64-bit number standing for a pseudonym or an id (to tell repeated lines apart)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest())


async def _checked(
    ports: Ports, batch: list[Line | Refusal], people: FirstSeen, ids: FirstSeen
) -> tuple[list[LineOutcome], list[Candidate]]:
    """The batch's lines refused so far, and the candidates left to register."""
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
        if outcome is None:
            candidates.append(candidate)
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
) -> LineOutcome | None:
    """Unchanged if this person's household is registered already; refused if the person is
    registered in another household, or the id belongs to another person; else None."""
    names = (p for p in (candidate.cin, candidate.registry) if p)
    existing = next((known["name"][p] for p in names if p in known["name"]), None)
    hid = candidate.household_id
    if existing is not None and existing["household_id"] != hid:
        return _taken(candidate.line, existing["household_id"])
    if existing is not None:
        return LineOutcome(candidate.line, "unchanged", hid)
    row = known["id"].get(hid)
    if row is not None and row["identity"] != candidate.identity:
        return _id_taken(candidate.line)
    return None


def _taken(line: int, elsewhere: str) -> LineOutcome:
    message = f"this person is already registered in household {elsewhere}"
    return LineOutcome(line, "refused", elsewhere, "already_registered", message)


def _id_taken(line: int) -> LineOutcome:
    message = "the household id is another person's; give this line another id"
    return LineOutcome(line, "refused", None, "id_taken", message)


async def _register(
    ports: Ports, user: User, now: datetime, candidates: list[Candidate]
) -> list[LineOutcome]:
    """Claim, seal and send the batch's registrations together; what each came to."""
    sealed = await in_thread(_sealed, ports, candidates)
    outcomes = [o for o in sealed if isinstance(o, LineOutcome)]
    commands = [(c, cmd) for c, cmd in zip(candidates, sealed, strict=True)
                if isinstance(cmd, RegisterHousehold)]  # fmt: skip
    replies = await decide_many(ports, [(cmd, cmd.household_id) for _, cmd in commands], user, now)
    for (candidate, _), reply in zip(commands, replies, strict=True):
        outcome = _decided(candidate, reply.status, reply.replayed, reply.error, reply.details)
        if outcome.reason == "already_registered":  # as registering one: give the claim up
            await in_thread(ports.personal.release, candidate.household_id, candidate.identity)
        outcomes.append(outcome)
    return outcomes


def _sealed(ports: Ports, candidates: list[Candidate]) -> list[RegisterHousehold | LineOutcome]:
    """Each candidate's command (its id claimed, its personal fields sealed), or why not."""
    made: list[RegisterHousehold | LineOutcome] = []
    for c in candidates:
        try:
            ports.personal.claim(c.household_id, c.identity)
        except IdTaken:
            made.append(_id_taken(c.line))
            continue
        personal = ports.personal.seal(c.household_id, {k: c.values[k] for k in PERSONAL})
        made.append(
            RegisterHousehold(
                household_id=c.household_id,
                identity=c.identity,
                national_id_pseudonym=c.cin,
                registry_pseudonym=c.registry,
                sealed_personal_data=personal,
                **{k: c.values[k] for k in PROFILE},
            )
        )
    return made


def _decided(
    c: Candidate, status: str, replayed: bool, error: str | None, details: dict[str, Any]
) -> LineOutcome:
    """A reply as a line's outcome: a repeat of an earlier registration is unchanged."""
    if status == "accepted":
        return LineOutcome(c.line, "unchanged" if replayed else "registered", c.household_id)
    elsewhere = details.get("household_id")
    if error == "already_registered" and elsewhere not in (None, c.household_id):
        return _taken(c.line, str(elsewhere))
    if error in ("already_registered", "idempotency_conflict"):
        return LineOutcome(c.line, "unchanged", c.household_id)  # updates come with profiles
    message = f"the registration was refused ({error or status}); see the household's writer"
    return LineOutcome(c.line, "refused", c.household_id, error or status, message)
