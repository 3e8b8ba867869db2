"""Campaigns: who is entitled to what, and how far the distribution has reached."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events.households import CampaignOpened
from projections import households_queries, queries
from projections.paging import EVERYTHING, Page, Paging
from services.app.errors import NotFound
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, known
from services.app.sending import Outcome, register
from services.domain.reference.decider import OpenCampaign


async def open_campaign(
    ports: Ports, user: User, now: datetime, campaign: CampaignOpened
) -> Outcome:
    """Open a seasonal or emergency distribution campaign."""
    authorize(user, "campaigns.write")
    await known(ports, queries.item, campaign.item_id, "item_id", "item")
    command = OpenCampaign(campaign=campaign)
    return await register(ports, command, campaign.campaign_id, user, now)


async def list_campaigns(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """All campaigns, the latest to start first."""
    authorize(user, "reference.read")
    return await in_thread(households_queries.all_campaigns, ports.engine, paging)


async def coverage(ports: Ports, user: User, campaign_id: str) -> list[dict[str, Any]]:
    """Eligible versus reached households, and quantity distributed, per region and province."""
    authorize(user, "registry.read")
    row = await in_thread(households_queries.campaign, ports.engine, campaign_id)
    if row is None:
        raise NotFound(f"no campaign {campaign_id!r}", error="unknown_campaign")
    return await in_thread(households_queries.coverage, ports.engine, campaign_id)
