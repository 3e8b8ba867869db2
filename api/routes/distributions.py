"""Distributions: a basket handed to a household is a fact, at most its entitlement per campaign."""

from __future__ import annotations

import uuid

from fastapi import Response

from api import answers, requests
from api.deps import CurrentUser, IdempotencyKey, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.households import (
    BatchResults,
    DistributionBatch,
    DistributionCreate,
    DuplicateList,
    DuplicateResolution,
    Eligibility,
    RecordResult,
)
from api.schemas.stock import Decision, Voiding
from services.app import distributions

router = Router(prefix="/v1", tags=["distributions"])


@router.post("/distributions", status_code=201, response_model=Decision)
async def record_distribution(
    body: DistributionCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
) -> Decision:
    """Record a basket handed to a household; beyond its entitlement it is a 409."""
    given = requests.distribution(body)
    outcome = await distributions.record_distribution(services, user, now, given)
    return answers.decision(outcome, response)


@router.post("/distributions/{distribution_id}/void", status_code=201, response_model=Decision)
async def void_distribution(
    distribution_id: str,
    body: Voiding,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Cancel a distribution recorded by mistake: the household may be served again and the
    site's stock gets the quantity back (409 when already voided)."""
    outcome = await distributions.void_distribution(
        services, user, now, distribution_id, body.reason, idempotency_key or str(uuid.uuid4())
    )
    return answers.decision(outcome, response)


@router.post("/distributions/batch", response_model=BatchResults)
async def sync_offline_distributions(
    body: DistributionBatch, services: ServicesDep, user: CurrentUser, now: Now
) -> BatchResults:
    """Sync records captured offline: each is accepted, flagged duplicate, or rejected.

    The records' commands are sent together; each household's single writer decides its
    records in the batch's order."""
    records = requests.offline_records(body.records)
    results = await distributions.sync_offline_distributions(services, user, now, records)
    return BatchResults(results=[RecordResult(**vars(r)) for r in results])


@router.get("/households/{household_id}/eligibility", response_model=Eligibility)
async def household_eligibility(
    household_id: str, campaign_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> Eligibility:
    """Eligible or not, in plain words, and what the household already received."""
    found = await distributions.household_eligibility(services, user, household_id, campaign_id)
    return answers.eligibility(found)


@router.get("/distributions/duplicates", response_model=DuplicateList)
async def flagged_duplicates(
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    page: PageOf,
    campaign_id: str | None = None,
    resolved: bool = False,
) -> DuplicateList:
    """Late records beyond entitlement, flagged for follow-up: those waiting for a
    coordinator, or with `resolved=true` those voided or accepted as exceptions already."""
    found = await distributions.flagged_duplicates(services, user, campaign_id, page, resolved)
    return DuplicateList(items=[answers.flagged_duplicate(r) for r in found.items], next=found.next)


@router.post(
    "/distributions/duplicates/{distribution_id}/resolve", status_code=201, response_model=Decision
)
async def resolve_duplicate(
    distribution_id: str,
    body: DuplicateResolution,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Resolve a flagged duplicate: `void` it (a second record of one basket; nothing moves)
    or `accept` it as an exception (it counts, and the site's stock gives its quantity);
    409 when already resolved or when it is no flagged duplicate."""
    outcome = await distributions.resolve_duplicate(
        services, user, now, distribution_id, body.resolution, body.reason,
        idempotency_key or str(uuid.uuid4()),
    )  # fmt: skip
    return answers.decision(outcome, response)
