"""Distributions: a basket handed to a household is a fact, at most its entitlement per campaign."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from api.auth import User, authorize
from api.decide import decide, decide_many
from api.deps import CurrentUser, Now, Services, ServicesDep
from api.errors import ApiError, Invalid, NotFound
from api.reads import ReadAfter
from api.routes.households import pseudonyms
from api.routes.stock import known
from api.schemas.households import (
    BatchResults,
    DistributionBatch,
    DistributionCreate,
    DuplicateList,
    Eligibility,
    ReceivedAid,
    RecordResult,
)
from api.schemas.stock import Decision
from events.households import CampaignOpened
from projections import queries, registry_queries
from services.commands import Reply
from services.distributions.decider import RecordDistribution
from services.distributions.eligibility import Profile, entitlement_left

router = APIRouter(prefix="/v1", tags=["distributions"])


class _Rows:
    """Read-model rows a request needs, each read once (a batch names the same few often)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.rows: dict[tuple[Any, str], dict[str, Any]] = {}

    def prefetched(self, lookup: Any, rows: dict[str, dict[str, Any]]) -> None:
        """Rows already read in bulk, as `lookup` would have found them one by one."""
        self.rows.update(((lookup, key), row) for key, row in rows.items())

    async def known(self, lookup: Any, key: str, field: str, what: str, **kw: Any) -> dict:
        if (lookup, key) not in self.rows:
            self.rows[(lookup, key)] = await known(self.services, lookup, key, field, what, **kw)
        return self.rows[(lookup, key)]


async def _household(rows: _Rows, body: DistributionCreate) -> dict[str, Any]:
    field = "household_id" if body.household_id else "national_id"
    lookup: Any
    if body.household_id:
        lookup, key = registry_queries.household, body.household_id
    else:
        lookup, key = (
            registry_queries.household_by_pseudonym,
            pseudonyms(rows.services, body.national_id, None)[0],
        )
    try:
        return await rows.known(lookup, key, field, "household", stream="households")
    except Invalid:
        raise Invalid("no registered household matches; register it first", field=field) from None


async def _command(rows: _Rows, body: DistributionCreate, offline: bool) -> RecordDistribution:
    household = await _household(rows, body)
    campaign = await rows.known(
        registry_queries.campaign, body.campaign_id, "campaign_id", "campaign"
    )
    site = await rows.known(queries.location, body.site_id, "site_id", "site")
    if site["kind"] != "site":
        raise Invalid(f"{body.site_id!r} is a warehouse, not a distribution site", field="site_id")
    return RecordDistribution(
        distribution_id=body.id,
        household_id=household["household_id"],
        identity=household["identity"],
        campaign=CampaignOpened(**campaign),
        region_code=household["region_code"],
        province_code=household["province_code"],
        groups=household["groups"],
        precarity_score=household["precarity_score"],
        site_id=body.site_id,
        quantity=body.quantity,
        occurred_at=body.occurred_at,
        offline=offline,
    )


@router.post("/distributions", status_code=201, response_model=Decision)
async def record_distribution(
    body: DistributionCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
) -> Decision:
    """Record a basket handed to a household; beyond its entitlement it is a 409."""
    authorize(user, "distributions.write", location_id=body.site_id)
    command = await _command(_Rows(services), body, offline=False)
    reply = await decide(services, command, body.id, user, now)
    if reply.replayed:
        response.status_code = 200
    return Decision(id=body.id, events=reply.events, position=reply.position)


async def _prepare(
    rows: _Rows, raw: dict[str, Any], user: User
) -> RecordDistribution | RecordResult:
    """The command of an offline record, or why the record is rejected before any decision."""
    record_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    try:
        body = DistributionCreate.model_validate(raw)
        authorize(user, "distributions.write", location_id=body.site_id)
        return await _command(rows, body, offline=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return RecordResult(id=record_id, status="rejected", reason=f"{where}: {first['msg']}")
    except ApiError as exc:
        return RecordResult(id=record_id, status="rejected", reason=exc.message)


async def _households_of(services: Services, records: list[dict[str, Any]]) -> _Rows:
    """The batch's households read in two queries rather than one per record."""
    ids = [r["household_id"] for r in records if isinstance(r.get("household_id"), str)]
    national_ids = [r["national_id"] for r in records if isinstance(r.get("national_id"), str)]
    keys = [p for n in national_ids for p in pseudonyms(services, n, None)]
    rows = _Rows(services)
    engine = services.engine
    by_id = await run_in_threadpool(registry_queries.households_by_id, engine, ids)
    by_pseudonym = await run_in_threadpool(registry_queries.households_by_pseudonym, engine, keys)
    rows.prefetched(registry_queries.household, by_id)
    rows.prefetched(registry_queries.household_by_pseudonym, by_pseudonym)
    return rows


def _result(command: RecordDistribution, reply: Reply) -> RecordResult:
    record_id = command.distribution_id
    if reply.status == "accepted":
        flagged = any(e["type"] == "DuplicateDistributionFlagged" for e in reply.events)
        return RecordResult(id=record_id, status="duplicate" if flagged else "accepted")
    if reply.error == "idempotency_conflict":
        reason = "this id was already used for a different record; use a new id"
    else:
        reason = reply.message or reply.error or reply.status
    return RecordResult(id=record_id, status="rejected", reason=reason)


@router.post("/distributions/batch", response_model=BatchResults)
async def sync_offline_distributions(
    body: DistributionBatch, services: ServicesDep, user: CurrentUser, now: Now
) -> BatchResults:
    """Sync records captured offline: each is accepted, flagged duplicate, or rejected.

    The records' commands are sent together; each household's single writer decides its
    records in the batch's order."""
    authorize(user, "distributions.write")
    rows = await _households_of(services, body.records)
    prepared = [await _prepare(rows, raw, user) for raw in body.records]
    commands = [c for c in prepared if isinstance(c, RecordDistribution)]
    replies = await decide_many(services, [(c, c.distribution_id) for c in commands], user, now)
    decided = iter(zip(commands, replies, strict=True))
    results = [p if isinstance(p, RecordResult) else _result(*next(decided)) for p in prepared]
    return BatchResults(results=results)


@router.get("/households/{household_id}/eligibility", response_model=Eligibility)
async def household_eligibility(
    household_id: str, campaign_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> Eligibility:
    """Eligible or not, in plain words, and what the household already received."""
    authorize(user, "households.read")
    household = await run_in_threadpool(registry_queries.household, services.engine, household_id)
    if household is None:
        raise NotFound(f"no household {household_id!r}", error="unknown_household")
    row = await known(services, registry_queries.campaign, campaign_id, "campaign_id", "campaign")
    campaign = CampaignOpened(**row)
    profile = Profile(
        household["region_code"],
        household["province_code"],
        tuple(household["groups"]),
        household["precarity_score"],
    )
    got = await run_in_threadpool(
        registry_queries.received, services.engine, household_id, campaign_id
    )
    total = sum(r["quantity"] for r in got if r["status"] == "accepted")
    eligible, reason, remaining = entitlement_left(profile, campaign, total)
    return Eligibility(
        household_id=household_id,
        campaign_id=campaign_id,
        eligible=eligible,
        reason=reason,
        entitlement=campaign.quantity_per_household,
        remaining=remaining,
        received=[ReceivedAid(**r) for r in got],
    )


@router.get("/distributions/duplicates", response_model=DuplicateList)
async def flagged_duplicates(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, campaign_id: str | None = None
) -> DuplicateList:
    """Late records beyond entitlement, flagged for follow-up."""
    authorize(user, "registry.read")
    rows = await run_in_threadpool(registry_queries.duplicates, services.engine, campaign_id)
    return DuplicateList(items=[ReceivedAid(**r) for r in rows])
