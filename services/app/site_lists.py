"""Site lists: the households a distribution site expects in a campaign and how each stands
(waiting, served, flagged), for the agents of the site and the coordinators; and the counts
per site. Households appear by id, size and province only: the list is printed and carried
to the site, so it names nobody."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from projections import site_list_queries
from projections.paging import EVERYTHING, Id, Page, Paging, page_of
from services.app.campaigns import find_campaign
from services.app.errors import NotFound
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread
from services.app.reference import distribution_site
from services.app.reports import Table
from services.domain.distributions.eligibility import CampaignTerms
from services.domain.distributions.site_lists import SiteStatus

COLUMNS = (
    ("Household", "#beneficiary+code"),
    ("Size", "#beneficiary+num"),
    ("Province code", "#adm2+code"),
    ("Status", "#status"),
    ("Served at", "#date+served"),
    ("Served at site", "#loc+code+served"),
)


async def expected_households(
    ports: Ports,
    user: User,
    campaign_id: str,
    site_id: str,
    paging: Paging,
    status: SiteStatus | None = None,
) -> Page:
    """A page of the households the site expects in the campaign (with `status`, only
    those), by household id."""
    authorize(user, "sitelists.read", location_id=site_id)
    terms = await campaign_at_site(ports, campaign_id, site_id)
    return await in_thread(
        site_list_queries.expected_at, ports.engine, terms, site_id, paging, status
    )


async def site_list_csv(ports: Ports, user: User, campaign_id: str, site_id: str) -> Table:
    """The whole list as CSV (with HXL hashtags), read a chunk at a time as it is sent."""
    authorize(user, "sitelists.read", location_id=site_id)
    terms = await campaign_at_site(ports, campaign_id, site_id)
    return Table(COLUMNS, _rows(ports, terms, site_id), f"{campaign_id}-{site_id}.csv")


async def site_counts(
    ports: Ports, user: User, campaign_id: str, paging: Paging = EVERYTHING
) -> Page:
    """Per site of the campaign's regions, the households expected, waiting, served and
    flagged (an agent sees only their own sites)."""
    allowed = user.locations_for(authorize(user, "sitelists.read"))
    terms = CampaignTerms.model_validate(await find_campaign(ports, campaign_id))
    counted = await in_thread(site_list_queries.site_counts, ports.engine, terms)
    mine = [s for s in counted if allowed is None or s["location_id"] in allowed]
    return page_of(mine, lambda s: [s["location_id"]], paging, (Id,))


def _rows(ports: Ports, terms: CampaignTerms, site_id: str) -> Iterator[list[Any]]:
    cursor: str | None = None
    while True:
        page = site_list_queries.expected_at(
            ports.engine, terms, site_id, Paging(limit=1_000, cursor=cursor)
        )
        for h in page.items:
            yield [h["household_id"], h["size"], h["province_code"], h["status"],
                   h["served_at"], h["served_site_id"]]  # fmt: skip
        if page.next is None:
            return
        cursor = page.next


async def campaign_at_site(ports: Ports, campaign_id: str, site_id: str) -> CampaignTerms:
    """The campaign's terms, once both it and the distribution site are known (NotFound)."""
    terms = CampaignTerms.model_validate(await find_campaign(ports, campaign_id))
    if await distribution_site(ports, site_id) is None:
        raise NotFound(f"no distribution site {site_id!r}", error="unknown_site")
    return terms
