"""Campaigns: who is entitled to what, and how far the distribution has reached."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api import answers, requests
from api.deps import CurrentUser, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.schemas.households import CampaignCreate, CampaignList, CampaignPublic, Coverage
from services.app import campaigns

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


@router.post("", status_code=201, response_model=CampaignPublic)
async def open_campaign(
    body: CampaignCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> CampaignPublic:
    """Open a seasonal or emergency distribution campaign."""
    campaign = requests.campaign(body)
    outcome = await campaigns.open_campaign(services, user, now, campaign)
    answers.repeated(outcome, response)
    return answers.campaign_public(campaign.model_dump(), outcome.position)


@router.get("", response_model=CampaignList)
async def list_campaigns(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, page: PageOf
) -> CampaignList:
    """All campaigns, the latest to start first."""
    found = await campaigns.list_campaigns(services, user, page)
    return CampaignList(items=[answers.campaign_public(r) for r in found.items], next=found.next)


@router.get("/{campaign_id}/coverage", response_model=Coverage)
async def coverage(
    campaign_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> Coverage:
    """Eligible versus reached households, and quantity distributed, by region and province."""
    areas = await campaigns.coverage(services, user, campaign_id)
    return answers.coverage(campaign_id, areas)
