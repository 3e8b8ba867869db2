"""Campaigns: who is entitled to what, and how far the distribution has reached."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import authorize
from api.decide import register
from api.deps import CurrentUser, Now, ServicesDep
from api.errors import NotFound
from api.reads import ReadAfter
from api.routes.stock import known
from api.schemas.households import (
    AreaCoverage,
    CampaignCreate,
    CampaignList,
    CampaignPublic,
    Coverage,
)
from events.households import CampaignOpened
from projections import queries, registry_queries
from services.distributions.eligibility import Profile, eligibility
from services.reference.decider import OpenCampaign

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


def campaign_public(row: dict[str, Any], position: str | None = None) -> CampaignPublic:
    return CampaignPublic(
        id=row["campaign_id"],
        position=position,
        **{k: v for k, v in row.items() if k != "campaign_id"},
    )


@router.post("", status_code=201, response_model=CampaignPublic)
async def open_campaign(
    body: CampaignCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> CampaignPublic:
    """Open a seasonal or emergency distribution campaign."""
    authorize(user, "campaigns.write")
    await known(services, queries.item, body.item_id, "item_id", "item")
    event = CampaignOpened(campaign_id=body.id, **body.model_dump(exclude={"id"}))
    reply = await register(services, OpenCampaign(campaign=event), body.id, user, now, response)
    return campaign_public(event.model_dump(), reply.position)


@router.get("", response_model=CampaignList)
async def list_campaigns(services: ServicesDep, user: CurrentUser, _: ReadAfter) -> CampaignList:
    """All campaigns, newest first."""
    authorize(user, "reference.read")
    rows = await run_in_threadpool(registry_queries.all_campaigns, services.engine)
    return CampaignList(items=[campaign_public(r) for r in rows])


@router.get("/{campaign_id}/coverage", response_model=Coverage)
async def coverage(
    campaign_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> Coverage:
    """Eligible versus reached households, and quantity distributed, by region and province."""
    authorize(user, "registry.read")
    row = await run_in_threadpool(registry_queries.campaign, services.engine, campaign_id)
    if row is None:
        raise NotFound(f"no campaign {campaign_id!r}", error="unknown_campaign")
    terms = CampaignOpened(**row)

    def is_eligible(h: dict[str, Any]) -> bool:
        profile = Profile(
            h["region_code"], h["province_code"], tuple(h["groups"]), h["precarity_score"]
        )
        return eligibility(profile, terms)[0]

    areas = await run_in_threadpool(registry_queries.coverage, services.engine, row, is_eligible)
    return Coverage(
        campaign_id=campaign_id,
        eligible_households=sum(a["eligible_households"] for a in areas),
        reached_households=sum(a["reached_households"] for a in areas),
        quantity=sum(a["quantity"] for a in areas),
        by_area=[AreaCoverage(**a) for a in areas],
    )
