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
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

import orjson

from events.households import PROFILE, MemberCounts
from projections import imports_queries
from services.app.errors import BrokerUnavailable, Invalid
from services.app.household_places import regions_served, sites_of
from services.app.import_batches import in_batches, item_replies
from services.app.import_checks import (
    Candidate,
    LineOutcome,
    checked,
    id_taken,
    taken,
)
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread
from services.app.sending import decide_many
from services.domain.commands import Command, Reply, batch_id
from services.domain.deciding import NOT_DECIDED
from services.domain.households.decider import RegisterHousehold, UpdateHouseholdProfile
from services.domain.households.importing import FirstSeen, Line, Refusal, UnreadableFile, read
from services.domain.households.members import Member, from_columns, member_counts

log = logging.getLogger(__name__)
BATCH = 500  # lines checked, sealed and sent together
IN_FLIGHT = 8  # batches sent and not yet answered (4 left the deciders waiting: RESULTS.md)
# A batch whose decisions do not come in time (a worker slowed or restarting) is sent again
# with the same ids, after these pauses, before the import stops (to be resumed by a rerun).
RESEND_AFTER = (1.0, 2.0, 4.0, 8.0, 16.0)
PERSONAL = ("national_id", "registry_number", "head_name", "phone")
NOT_BORN = "a member's year of birth is after this year"


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


OnLines = Callable[[list[LineOutcome]], None]


def import_id_for(ports: Ports, digest: bytes, dry_run: bool, user: User | None = None) -> str:
    """An import's id from a keyed digest of its file: the same file is the same import, for
    users who may assign households to the same sites (a line one refuses as `site_not_yours`,
    another may import)."""
    if user is not None and (sites := sites_of(user)) is not None:
        digest += b"\0sites:" + ",".join(sorted(sites)).encode()
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
    sites = await in_thread(imports_queries.sites, ports.engine)
    try:
        lines = read(text, areas, sites)
    except UnreadableFile as exc:
        raise Invalid(str(exc), field="file") from None
    await in_thread(imports_queries.start, ports.engine, import_id, dry_run, user.username, now)
    report = ImportReport(import_id, dry_run)
    try:
        await _run(ports, user, now, report, lines, on_lines, regions_served(user, sites))
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
    regions: frozenset[str] | None = None,
) -> None:
    people, ids = FirstSeen(), FirstSeen()
    sending: set[asyncio.Task[list[LineOutcome]]] = set()
    try:
        while batch := list(islice(lines, BATCH)):
            outcomes, candidates = await checked(ports, user, batch, people, ids, regions)
            if candidates and not report.dry_run:
                sending.add(asyncio.create_task(_send(ports, user, now, candidates)))
            else:
                outcomes += [LineOutcome(c.line, _would(c), c.household_id) for c in candidates]
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


def _would(c: Candidate) -> str:
    return "registered" if c.registered is None else "updated"


async def _send(
    ports: Ports, user: User, now: datetime, candidates: list[Candidate]
) -> list[LineOutcome]:
    """Claim, seal and send the batch's registrations (one command per partition), and its
    households' new situations, together; what each came to."""
    new = [c for c in candidates if c.registered is None]
    sealed = await in_thread(_sealed, ports, new, now)
    outcomes = [o for o in sealed if isinstance(o, LineOutcome)]
    registering = [
        (c, cmd) for c, cmd in zip(new, sealed, strict=True) if isinstance(cmd, RegisterHousehold)
    ]
    updating = [(c, *_update(c)) for c in candidates if c.registered is not None]
    batches = in_batches(registering, ports.partition_of)
    sent: list[tuple[Command, str]] = [(b, batch_id(b)) for b, _ in batches]
    sent += [(cmd, client_id) for _, cmd, client_id in updating]
    replies, resent = await _decisions(ports, sent, user, now)
    answered, alone = item_replies(batches, replies[: len(batches)])
    answered += zip((c for c, _, _ in updating), replies[len(batches) :], strict=True)
    if alone:  # what a batch could not carry (another writer's, or a worker without batches)
        singles, again = await _decisions(
            ports, [(cmd, c.household_id) for c, cmd in alone], user, now
        )
        answered += list(zip([c for c, _ in alone], singles, strict=True))
        resent = resent or again
    for candidate, reply in answered:
        # sent again, a decision of this batch's first sending comes back as a repeat
        replayed = reply.replayed and not resent
        outcome = _decided(candidate, reply.status, replayed, reply.error, reply.details)
        if outcome.reason == "already_registered":  # as registering one: give the claim up
            await in_thread(ports.personal.release, candidate.household_id, candidate.identity)
        outcomes.append(outcome)
    return outcomes


async def _decisions(
    ports: Ports, commands: list[tuple[Command, str]], user: User, now: datetime
) -> tuple[list[Reply], bool]:
    """The batch's replies, and whether it had to be sent more than once."""
    resent = False
    for pause in RESEND_AFTER:
        try:
            return await decide_many(ports, commands, user, now), resent
        except BrokerUnavailable:
            log.warning("no decisions in time for a batch of %d; sending it again", len(commands))
            await asyncio.sleep(pause)
            resent = True
    return await decide_many(ports, commands, user, now), True


def _update(c: Candidate) -> tuple[UpdateHouseholdProfile, str]:
    """The household's situation as the line gives it, its members as recorded (the file
    does not count them), and its personal data as sealed; under an id of that situation, so
    the same file again, or resumed, sends the same update."""
    row = c.registered or {}
    profile: dict[str, Any] = {k: c.values.get(k, row.get(k)) for k in PROFILE}
    command = UpdateHouseholdProfile(
        household_id=c.household_id, identity=row["identity"], members=from_columns(row), **profile
    )
    digest = hashlib.blake2b(
        orjson.dumps(profile, option=orjson.OPT_SORT_KEYS), digest_size=10
    ).hexdigest()
    return command, f"{c.household_id}:situation:{digest}"


def _profile_of(c: Candidate) -> dict[str, Any]:
    return {k: c.values.get(k) for k in PROFILE}


def _sealed(
    ports: Ports, candidates: list[Candidate], now: datetime
) -> list[RegisterHousehold | LineOutcome]:
    """Each candidate's command (its id claimed, its personal fields and members sealed, its
    members counted as of `now`), or why not."""
    counted: dict[int, MemberCounts | None] = {}
    claims: list[tuple[str, str, dict[str, Any]]] = []
    for c in candidates:
        members: list[Member] | None = c.values.get("members")
        try:
            counted[c.line] = member_counts(members, now.date()) if members is not None else None
        except ValueError:
            continue
        personal = {k: c.values[k] for k in PERSONAL}
        if members is not None:
            personal["members"] = [asdict(m) for m in members]
        claims.append((c.household_id, c.identity, personal))
    sealed = iter(ports.personal.claim_and_seal(claims))
    made: list[RegisterHousehold | LineOutcome] = []
    for c in candidates:
        if c.line not in counted:
            made.append(LineOutcome(c.line, "refused", None, "bad_members", NOT_BORN))
        elif (personal_data := next(sealed)) is None:
            made.append(id_taken(c.line))
        else:
            made.append(
                RegisterHousehold(
                    household_id=c.household_id,
                    identity=c.identity,
                    national_id_pseudonym=c.cin,
                    registry_pseudonym=c.registry,
                    sealed_personal_data=personal_data,
                    members=counted[c.line],
                    **_profile_of(c),
                )
            )
    return made


def _decided(
    c: Candidate, status: str, replayed: bool, error: str | None, details: dict[str, Any]
) -> LineOutcome:
    """A reply as a line's outcome: a repeat of an earlier registration or update is
    unchanged."""
    if status == "accepted":
        return LineOutcome(c.line, "unchanged" if replayed else _would(c), c.household_id)
    elsewhere = details.get("household_id")
    if error == "already_registered" and elsewhere not in (None, c.household_id):
        return taken(c.line, str(elsewhere))
    if error in ("already_registered", "idempotency_conflict"):
        return LineOutcome(c.line, "unchanged", c.household_id)  # updates come with profiles
    message = f"the registration was refused ({error or status}); see the household's writer"
    if status == "failed":  # a fault, nothing recorded: importing the file again decides it
        message = NOT_DECIDED
    return LineOutcome(c.line, "refused", c.household_id, error or status, message)
