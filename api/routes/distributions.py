"""Distributions: a basket handed to a household is a fact, at most its entitlement per campaign."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from api.auth import User, authorize
from api.decide import decide
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
from services.distributions.decider import RecordDistribution
from services.distributions.eligibility import Profile, entitlement_left

router = APIRouter(prefix="/v1", tags=["distributions"])
BATCH_CONCURRENCY = 64


async def _household(services: Services, body: DistributionCreate) -> dict[str, Any]:
    field = "household_id" if body.household_id else "national_id"
    lookup: Any
    if body.household_id:
        lookup, key = registry_queries.household, body.household_id
    else:
        lookup, key = (
            registry_queries.household_by_pseudonym,
            pseudonyms(services, body.national_id, None)[0],
        )
    try:
        return await known(services, lookup, key, field, "household", stream="households")
    except Invalid:
        raise Invalid("no registered household matches; register it first", field=field) from None


async def _command(
    services: Services, body: DistributionCreate, now: datetime, offline: bool
) -> RecordDistribution:
    household = await _household(services, body)
    campaign = await known(
        services, registry_queries.campaign, body.campaign_id, "campaign_id", "campaign"
    )
    site = await known(services, queries.location, body.site_id, "site_id", "site")
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
    command = await _command(services, body, now, offline=False)
    reply = await decide(services, command, body.id, user, now)
    if reply.replayed:
        response.status_code = 200
    return Decision(id=body.id, events=reply.events, position=reply.position)


async def _one(services: Services, raw: dict[str, Any], user: User, now: datetime) -> RecordResult:
    record_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    try:
        body = DistributionCreate.model_validate(raw)
        authorize(user, "distributions.write", location_id=body.site_id)
        command = await _command(services, body, now, offline=True)
        reply = await decide(services, command, body.id, user, now)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return RecordResult(id=record_id, status="rejected", reason=f"{where}: {first['msg']}")
    except ApiError as exc:
        return RecordResult(id=record_id, status="rejected", reason=exc.message)
    flagged = any(e["type"] == "DuplicateDistributionFlagged" for e in reply.events)
    return RecordResult(id=body.id, status="duplicate" if flagged else "accepted")


@router.post("/distributions/batch", response_model=BatchResults)
async def sync_offline_distributions(
    body: DistributionBatch, services: ServicesDep, user: CurrentUser, now: Now
) -> BatchResults:
    """Sync records captured offline: each is accepted, flagged duplicate, or rejected."""
    authorize(user, "distributions.write")
    lanes: dict[str, list[int]] = defaultdict(list)
    for index, raw in enumerate(body.records):
        who = raw.get("household_id") or raw.get("national_id") or f"#{index}"
        lanes[str(who)].append(index)  # one household's records in order, households in parallel
    results: list[RecordResult | None] = [None] * len(body.records)
    gate = asyncio.Semaphore(BATCH_CONCURRENCY)

    async def run(indexes: list[int]) -> None:
        async with gate:
            for i in indexes:
                results[i] = await _one(services, body.records[i], user, now)

    await asyncio.gather(*(run(indexes) for indexes in lanes.values()))
    return BatchResults(results=[r for r in results if r is not None])


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
