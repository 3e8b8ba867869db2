"""Campaigns: who is entitled to what, and how far the distribution has reached."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from api import answers, requests
from api.answers import CSVResponse, hxl_csv
from api.deps import CurrentUser, IdempotencyKey, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.households import (
    CampaignAreas,
    CampaignClosing,
    CampaignCreate,
    CampaignExtension,
    CampaignList,
    CampaignPublic,
    Coverage,
    OfflineHousehold,
    OfflineList,
    SiteCount,
    SiteCountList,
    SiteHousehold,
    SiteHouseholdList,
)
from api.schemas.needs import Needs
from api.schemas.stock import Decision
from services.app import campaigns, needs, offline_lists, site_lists
from services.domain.distributions.site_lists import SiteStatus
from services.domain.reference.decider import ChangeCampaignAreas, CloseCampaign, ExtendCampaign

router = Router(prefix="/v1/campaigns", tags=["campaigns"])


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


@router.get("/{campaign_id}", response_model=CampaignPublic)
async def campaign(
    campaign_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> CampaignPublic:
    """One campaign: what each household is entitled to (more for larger households, when
    its rule says so), when, for whom; its changes since."""
    return answers.campaign_public(await campaigns.campaign(services, user, campaign_id))


@router.get("/{campaign_id}/coverage", response_model=Coverage)
async def coverage(
    campaign_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> Coverage:
    """Eligible versus reached households, and quantity distributed, by region and province."""
    counted = await campaigns.coverage(services, user, campaign_id)
    return answers.coverage(campaign_id, counted)


@router.get("/{campaign_id}/needs", response_model=Needs)
async def campaign_needs(
    campaign_id: str,
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    supplying_location_id: str | None = None,
) -> Needs:
    """Per site, province and region: units still due less held less in transit; for a kit,
    the components the supplying warehouse lacks to assemble the kits short."""
    found = await needs.campaign_needs(services, user, campaign_id, supplying_location_id)
    return Needs.model_validate(found)


@router.get("/{campaign_id}/sites", response_model=SiteCountList)
async def site_counts(
    campaign_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter, page: PageOf
) -> SiteCountList:
    """Per distribution site of the campaign's regions, the households it expects, waiting,
    served and flagged (an agent: their own sites)."""
    found = await site_lists.site_counts(services, user, campaign_id, page)
    items = [SiteCount(site_id=s["location_id"], **s) for s in found.items]
    return SiteCountList(campaign_id=campaign_id, items=items, next=found.next)


@router.get("/{campaign_id}/sites/{site_id}/households", response_model=SiteHouseholdList)
async def site_list(
    campaign_id: str,
    site_id: str,
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    page: PageOf,
    status: Annotated[SiteStatus | None, Query(description="Only households in this status.")] = (
        None
    ),
) -> SiteHouseholdList:
    """The households the site expects in the campaign (assigned to it, admitted by the
    campaign's rules), by id, with their status there; no name or identifier."""
    found = await site_lists.expected_households(services, user, campaign_id, site_id, page, status)
    items = [SiteHousehold(**h) for h in found.items]
    return SiteHouseholdList(campaign_id=campaign_id, site_id=site_id, items=items, next=found.next)


@router.get("/{campaign_id}/sites/{site_id}/households.csv", response_class=CSVResponse)
async def site_list_csv(
    campaign_id: str, site_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> Response:
    """The site's whole list as CSV, with HXL hashtags on the second line."""
    return hxl_csv(await site_lists.site_list_csv(services, user, campaign_id, site_id))


@router.get("/{campaign_id}/sites/{site_id}/offline", response_model=OfflineList)
async def offline_list(
    campaign_id: str, site_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter,
    page: PageOf,
) -> OfflineList:  # fmt: skip
    """What a device keeps to check cards at the site offline: each expected household's
    card digest (never its check value), what it is still due and whether it was served."""
    due, found = await offline_lists.offline_list(services, user, campaign_id, site_id, page)
    return OfflineList(
        campaign_id=campaign_id, site_id=site_id, quantity_per_household=due,
        items=[OfflineHousehold(**h) for h in found.items], next=found.next,
    )  # fmt: skip


@router.post("/{campaign_id}/extend", status_code=201, response_model=Decision)
async def extend_campaign(
    campaign_id: str,
    body: CampaignExtension,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Let a campaign run to a later day (422 when not later; 409 once closed)."""
    command = ExtendCampaign(campaign_id=campaign_id, **body.model_dump())
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await campaigns.change_campaign(services, user, now, command, command_id)
    return answers.decision(outcome, response)


@router.post("/{campaign_id}/close", status_code=201, response_model=Decision)
async def close_campaign(
    campaign_id: str,
    body: CampaignClosing,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """End a campaign today: distributions dated after today are refused, or rejected when
    they come from the field (a record dated before the end still counts when it syncs)."""
    command = CloseCampaign(campaign_id=campaign_id, reason=body.reason)
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await campaigns.change_campaign(services, user, now, command, command_id)
    return answers.decision(outcome, response)


@router.post("/{campaign_id}/areas", status_code=201, response_model=Decision)
async def change_campaign_areas(
    campaign_id: str,
    body: CampaignAreas,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Cover other regions from today on: records dated before today are still judged by
    the areas of their day (422 when the areas are the same; 409 once closed or ended)."""
    command = ChangeCampaignAreas(campaign_id=campaign_id, **body.model_dump())
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await campaigns.change_campaign(services, user, now, command, command_id)
    return answers.decision(outcome, response)
