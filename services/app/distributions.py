"""Distributions: a basket handed to a household is a fact, at most its entitlement per campaign."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from projections import households_queries, queries
from projections.paging import EVERYTHING, Page, Paging
from projections.tables import COUNTED
from services.app import cards
from services.app.errors import AppError, Conflict, Invalid, NotDecided, NotFound
from services.app.households import pseudonyms
from services.app.import_batches import item_replies, record_batches
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, known, seen
from services.app.sending import Outcome, decide, decide_many
from services.domain.commands import Reply, batch_id
from services.domain.distributions.commands import (
    RecordDistribution,
    Resolution,
    ResolveDuplicate,
    VoidDistribution,
)
from services.domain.distributions.eligibility import (
    CampaignTerms,
    Profile,
    entitlement,
    entitlement_left,
)


@dataclass(frozen=True)
class Distribution:
    """A basket handed to a household (named by id, national ID or card) at a site."""

    id: str
    campaign_id: str
    site_id: str
    quantity: int
    household_id: str | None = None
    national_id: str | None = None
    occurred_at: datetime | None = None
    card: str | None = None  # the text of the household card's QR code


@dataclass(frozen=True)
class RecordStatus:
    """What became of one offline record: accepted, `duplicate` (kept and flagged for a
    coordinator: beyond the entitlement, or handed when the campaign no longer ran, `reason`
    says which), or rejected and why."""

    id: str | None
    status: str
    reason: str | None = None
    position: str | None = None  # where an accepted or duplicate record was written
    # a writer's refusal: its code and details, for pages to say it in their language
    error: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def invalid_record(record_id: str | None, exc: ValidationError) -> RecordStatus:
    """A record refused before any decision, naming its first invalid field."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])  # empty: the record as a whole
    reason = f"{where}: {first['msg']}" if where else str(first["msg"])
    return RecordStatus(id=record_id, status="rejected", reason=reason)


class _Rows:
    """Read-model rows a request needs, each read once (a batch names the same few often)."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports
        self.rows: dict[tuple[Any, str], dict[str, Any]] = {}
        self.cards: dict[tuple[str, int], dict[str, Any]] = {}  # the batch's, read at once

    def prefetched(self, lookup: Any, rows: dict[str, dict[str, Any]]) -> None:
        """Rows already read in bulk, as `lookup` would have found them one by one."""
        self.rows.update(((lookup, key), row) for key, row in rows.items())

    async def known(self, lookup: Any, key: str, field: str, what: str, **kw: Any) -> dict:
        if (lookup, key) not in self.rows:
            self.rows[(lookup, key)] = await known(self.ports, lookup, key, field, what, **kw)
        return self.rows[(lookup, key)]


async def _by_card(rows: _Rows, body: Distribution, offline: bool) -> dict[str, Any]:
    """The household of a card that works (offline: worked when the basket was handed)."""
    assert body.card is not None
    at = body.occurred_at if offline else None
    code = await cards.card_of(rows.ports, body.card, at, rows.cards)
    try:
        found = await rows.known(
            households_queries.household, code.household_id, "card", "household",
            stream="households",
        )  # fmt: skip
    except Invalid:
        found = None
    if found is None or found["erased"]:
        raise cards.card_invalid(cards.NOT_A_CARD)
    return found


async def _household(rows: _Rows, body: Distribution, offline: bool) -> dict[str, Any]:
    if body.card:
        return await _by_card(rows, body, offline)
    field = "household_id" if body.household_id else "national_id"
    lookup: Any
    if body.household_id:
        lookup, key = households_queries.household, body.household_id
    else:
        lookup, key = (
            households_queries.household_by_pseudonym,
            pseudonyms(rows.ports, body.national_id, None)[0],
        )
    try:
        return await rows.known(lookup, key, field, "household", stream="households")
    except Invalid:
        raise Invalid("no registered household matches; register it first", field=field) from None


async def _command(rows: _Rows, body: Distribution, offline: bool) -> RecordDistribution:
    household = await _household(rows, body, offline)
    campaign = await rows.known(
        households_queries.campaign, body.campaign_id, "campaign_id", "campaign"
    )
    site = await rows.known(queries.location, body.site_id, "site_id", "site")
    if site["kind"] != "site":
        raise Invalid(f"{body.site_id!r} is a warehouse, not a distribution site", field="site_id")
    return RecordDistribution(
        distribution_id=body.id,
        household_id=household["household_id"],
        identity=household["identity"],
        campaign=CampaignTerms.model_validate(campaign),
        region_code=household["region_code"],
        province_code=household["province_code"],
        groups=household["groups"],
        precarity_score=household["precarity_score"],
        household_size=household["size"],
        site_id=body.site_id,
        quantity=body.quantity,
        occurred_at=body.occurred_at,
        offline=offline,
    )


async def record_distribution(
    ports: Ports, user: User, now: datetime, body: Distribution
) -> Outcome:
    """Record a basket handed to a household; beyond its entitlement it is a Conflict."""
    authorize(user, "distributions.write", location_id=body.site_id)
    command = await _command(_Rows(ports), body, offline=False)
    reply = await decide(ports, command, body.id, user, now)
    return Outcome.of(body.id, reply)


async def _prepare(
    rows: _Rows, record: Distribution | RecordStatus, user: User
) -> RecordDistribution | RecordStatus:
    """The command of an offline record, or why the record is rejected before any decision."""
    if isinstance(record, RecordStatus):
        return record
    try:
        authorize(user, "distributions.write", location_id=record.site_id)
        return await _command(rows, record, offline=True)
    except ValidationError as exc:
        return invalid_record(record.id, exc)
    except AppError as exc:
        code = exc.details.get("error") or exc.error
        return RecordStatus(record.id, "rejected", exc.message, error=code, details=exc.details)


async def _households_of(ports: Ports, records: Sequence[Distribution | RecordStatus]) -> _Rows:
    """The batch's households (and the cards naming them) read in a few queries rather than
    one per record."""
    given = [r for r in records if isinstance(r, Distribution)]
    by_card = cards.household_ids(r.card for r in given)
    ids = [r.household_id for r in given if r.household_id] + by_card
    keys = [p for r in given if r.national_id for p in pseudonyms(ports, r.national_id, None)]
    rows = _Rows(ports)
    by_id = await in_thread(households_queries.households_by_id, ports.engine, ids)
    by_pseudonym = await in_thread(households_queries.households_by_pseudonym, ports.engine, keys)
    rows.prefetched(households_queries.household, by_id)
    rows.prefetched(households_queries.household_by_pseudonym, by_pseudonym)
    if by_card:
        rows.cards = await in_thread(households_queries.cards_of, ports.engine, by_card)
    return rows


def _result(command: RecordDistribution, reply: Reply) -> RecordStatus:
    record_id = command.distribution_id
    if reply.status == "accepted":
        kinds = {e["type"]: e["data"] for e in reply.events}
        if "LateDistributionFlagged" in kinds:
            terms = command.campaign
            reason = (
                f"handed after the campaign closed on {terms.closed_on}"
                if kinds["LateDistributionFlagged"]["why"] == "campaign_closed"
                else f"handed outside the campaign's dates, {terms.starts_on} to {terms.ends_on}"
            )
            late = f"{reason}: kept for a coordinator"
            return RecordStatus(record_id, "duplicate", late, reply.position)
        status = "duplicate" if "DuplicateDistributionFlagged" in kinds else "accepted"
        return RecordStatus(id=record_id, status=status, position=reply.position)
    if reply.status == "failed":  # not a verdict on the record: the device keeps it, and retries
        raise NotDecided(reply.message or "not decided")
    if reply.error == "idempotency_conflict":
        reason = "this id was already used for a different record; use a new id"
    else:
        reason = reply.message or reply.error or reply.status
    return RecordStatus(record_id, "rejected", reason, error=reply.error, details=reply.details)


async def sync_offline_distributions(
    ports: Ports, user: User, now: datetime, records: Sequence[Distribution | RecordStatus]
) -> list[RecordStatus]:
    """Sync records captured offline: each is accepted, flagged duplicate, or rejected.

    `records` are the batch's records in order, those already rejected by validation as
    their result. They are sent as one command per partition of their households
    (`_decisions`); each household's single writer decides its records in the batch's
    order, each as it would alone."""
    authorize(user, "distributions.write")
    rows = await _households_of(ports, records)
    prepared = [await _prepare(rows, record, user) for record in records]
    commands = [c for c in prepared if isinstance(c, RecordDistribution)]
    replies = await _decisions(ports, commands, user, now)
    decided = iter(zip(commands, replies, strict=True))
    return [p if isinstance(p, RecordStatus) else _result(*next(decided)) for p in prepared]


async def _decisions(
    ports: Ports, commands: list[RecordDistribution], user: User, now: datetime
) -> list[Reply]:
    """Each record's reply, as it would have come alone: the records sent as one command per
    partition (each household's records in the batch's order), those a batch could not carry
    sent alone after (a stray of another writer's partition, a worker without batches)."""
    batches = record_batches(list(enumerate(commands)), ports.partition_of)
    sent = await decide_many(ports, [(b, batch_id(b)) for b, _ in batches], user, now)
    by_line, alone = item_replies(batches, sent)
    answered = dict(by_line)
    if alone:
        singles = [(command, commands[n].distribution_id) for n, command in alone]
        replies = await decide_many(ports, singles, user, now)
        answered.update(zip((n for n, _ in alone), replies, strict=True))
    return [answered[n] for n in range(len(commands))]


async def household_eligibility(
    ports: Ports, user: User, household_id: str, campaign_id: str
) -> dict[str, Any]:
    """Eligible or not, in plain words, and what the household already received."""
    authorize(user, "households.read")
    household = await in_thread(households_queries.household, ports.engine, household_id)
    if household is None:
        raise NotFound(f"no household {household_id!r}", error="unknown_household")
    row = await known(ports, households_queries.campaign, campaign_id, "campaign_id", "campaign")
    campaign = CampaignTerms.model_validate(row)
    profile = Profile(
        household["region_code"],
        household["province_code"],
        tuple(household["groups"]),
        household["precarity_score"],
        household["size"],
    )
    got = await in_thread(households_queries.received, ports.engine, household_id, campaign_id)
    total = sum(r["quantity"] for r in got if r["status"] in COUNTED)
    eligible, reason, remaining = entitlement_left(profile, campaign, total)
    return {
        "household_id": household_id,
        "campaign_id": campaign_id,
        "eligible": eligible,
        "reason": reason,
        "entitlement": entitlement(campaign, profile.size),
        "remaining": remaining,
        "received": got,
    }


async def flagged_duplicates(
    ports: Ports,
    user: User,
    campaign_id: str | None = None,
    paging: Paging = EVERYTHING,
    resolved: bool = False,
) -> Page:
    """Late records beyond entitlement, flagged for follow-up: those waiting for a
    coordinator, or (`resolved`) those voided or accepted as exceptions already."""
    authorize(user, "registry.read")
    return await in_thread(
        households_queries.duplicates, ports.engine, campaign_id, paging, resolved
    )


async def _decided_under(ports: Ports, distribution_id: str, missing: str) -> tuple[dict, str]:
    """A distribution's row (after this client's own writes when not found at once) and the
    identity its household's writer decides under; 404 `missing` when there is none."""
    found = await seen(ports, "distributions", households_queries.distribution, distribution_id)
    if found is None:
        raise NotFound(f"no distribution {distribution_id!r}", error=missing)
    household = await in_thread(households_queries.household, ports.engine, found["household_id"])
    if household is None or not household["identity"]:
        raise Conflict(
            "the household's personal data was erased: its distributions stand",
            error="household_erased",
        )
    return found, household["identity"]


# Why a distribution of each status cannot be voided, and the code that says so.
NOT_VOIDABLE = {
    "voided": "already_voided",
    "voided_duplicate": "already_voided",
    "duplicate": "not_voidable",
}


async def void_distribution(
    ports: Ports, user: User, now: datetime, distribution_id: str, reason: str, command_id: str
) -> Outcome:
    """Cancel a distribution recorded by mistake (or a duplicate accepted as an exception):
    the household's writer records the void (the household may be served again), and the
    site's stock gets the quantity back."""
    authorize(user, "distributions.void")
    found, identity = await _decided_under(ports, distribution_id, "unknown_distribution")
    if found["status"] not in COUNTED:
        status = found["status"]
        hint = ": resolve it as a duplicate instead" if status == "duplicate" else ""
        raise Conflict(
            f"distribution {distribution_id!r} is {status}, not an accepted one{hint}",
            error=NOT_VOIDABLE.get(status, "not_voidable"),
            distribution_status=status,
        )
    command = VoidDistribution(distribution_id=distribution_id, identity=identity, reason=reason)
    reply = await decide(ports, command, command_id, user, now)
    return Outcome.of(distribution_id, reply)


async def resolve_duplicate(
    ports: Ports,
    user: User,
    now: datetime,
    distribution_id: str,
    resolution: Resolution,
    reason: str,
    command_id: str,
) -> Outcome:
    """A flagged duplicate voided as a second record of one basket (nothing moves) or accepted
    as an exception (it counts as received and the site's stock gives its quantity); the
    household's writer refuses it once resolved, or when it is no flagged duplicate."""
    authorize(user, "distributions.resolve")
    _, identity = await _decided_under(ports, distribution_id, "unknown_duplicate")
    command = ResolveDuplicate(
        distribution_id=distribution_id, identity=identity, resolution=resolution, reason=reason
    )
    reply = await decide(ports, command, command_id, user, now)
    return Outcome.of(distribution_id, reply)
