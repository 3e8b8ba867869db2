"""Campaigns: who is entitled to what, and how far the distribution has reached."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events.households import CampaignOpened
from projections import households_queries, queries
from projections.paging import EVERYTHING, Page, Paging
from services.app.errors import NotFound
from services.app.household_places import check_regions
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, known, seen
from services.app.sending import Outcome, decide, register
from services.domain.reference.decider import (
    ChangeCampaignAreas,
    CloseCampaign,
    ExtendCampaign,
    OpenCampaign,
)


async def open_campaign(
    ports: Ports, user: User, now: datetime, campaign: CampaignOpened
) -> Outcome:
    """Open a seasonal or emergency distribution campaign."""
    authorize(user, "campaigns.write")
    await known(ports, queries.item, campaign.item_id, "item_id", "item")
    await check_regions(ports, campaign.region_codes)
    command = OpenCampaign(campaign=campaign)
    return await register(ports, command, campaign.campaign_id, user, now)


async def list_campaigns(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """All campaigns, the latest to start first."""
    authorize(user, "reference.read")
    return await in_thread(households_queries.all_campaigns, ports.engine, paging)


async def campaign(ports: Ports, user: User, campaign_id: str) -> dict[str, Any]:
    """One campaign as opened and changed since (after this process's own writes)."""
    authorize(user, "reference.read")
    return await find_campaign(ports, campaign_id)


async def coverage(ports: Ports, user: User, campaign_id: str) -> dict[str, list[dict[str, Any]]]:
    """Eligible versus reached households, and quantity distributed, per region and province
    (`areas`); eligible versus reached households and people per target group (`groups`)."""
    authorize(user, "registry.read")
    await find_campaign(ports, campaign_id)
    areas = await in_thread(households_queries.coverage, ports.engine, campaign_id)
    groups = await in_thread(households_queries.coverage_by_group, ports.engine, campaign_id)
    return {"areas": areas, "groups": groups}


async def change_campaign(
    ports: Ports,
    user: User,
    now: datetime,
    command: ExtendCampaign | CloseCampaign | ChangeCampaignAreas,
    command_id: str,
) -> Outcome:
    """Let a campaign run to a later day (never an earlier one: close it instead), close it
    today, or have it cover other regions from today."""
    authorize(user, "campaigns.write")
    await find_campaign(ports, command.campaign_id)
    if isinstance(command, ChangeCampaignAreas):
        await check_regions(ports, command.region_codes)
    reply = await decide(ports, command, command_id, user, now)
    return Outcome.of(command.campaign_id, reply)


async def find_campaign(ports: Ports, campaign_id: str) -> dict[str, Any]:
    """The campaign (after this process's own writes), or NotFound."""
    found = await seen(ports, "reference", households_queries.campaign, campaign_id)
    if found is None:
        raise NotFound(f"no campaign {campaign_id!r}", error="unknown_campaign")
    return found
