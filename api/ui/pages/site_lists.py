"""Site lists for agents and coordinators: per campaign, the households each site expects
and how many are waiting, served and flagged; and, for one site, the printable list of
those households (by id and size, naming nobody), a page at a time, and its CSV."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Response

from api import answers
from api.routing import Router
from api.ui.web import Page, PageRoute, section
from projections.paging import Paging
from services.app import campaigns, reference, site_lists, slots
from services.domain.distributions.site_lists import STATUSES, SiteStatus

router = Router(prefix="/sites", route_class=PageRoute, include_in_schema=False)
Sites = Annotated[Page, Depends(section("sites"))]
PAGE_ROWS = 100


@router.get("")
async def counts_page(page: Sites, campaign_id: str | None = None) -> Response:
    """A campaign's sites with the households each expects, waiting, served and flagged."""
    assert page.user is not None
    listed = (await campaigns.list_campaigns(page.services, page.user)).items
    chosen = campaign_id or (listed[0]["campaign_id"] if listed else None)
    counted: list[dict[str, Any]] = []
    if chosen:
        counted = (await site_lists.site_counts(page.services, page.user, chosen)).items
    return page.render(
        "sites/counts.html", campaigns=listed, chosen=chosen, sites=counted,
        totals={k: sum(s[k] for s in counted) for k in ("expected", *STATUSES)},
    )  # fmt: skip


@router.get("/{campaign_id}/{site_id}.csv")
async def list_csv(page: Sites, campaign_id: str, site_id: str) -> Response:
    assert page.user is not None
    table = await site_lists.site_list_csv(page.services, page.user, campaign_id, site_id)
    return answers.hxl_csv(table)


@router.get("/{campaign_id}/{site_id}")
async def list_page(
    page: Sites,
    campaign_id: str,
    site_id: str,
    status: SiteStatus | None = None,
    after: str | None = None,
) -> Response:
    """The households the site expects in the campaign, a page at a time, printable."""
    assert page.user is not None
    found = await site_lists.expected_households(
        page.services, page.user, campaign_id, site_id, Paging(PAGE_ROWS, after), status
    )
    names = await _names(page)
    now = await slots.slot_now(page.services, page.user, campaign_id, site_id, datetime.now(UTC))
    here = {"status": status} if status else {}
    more = found.next and f"?{urlencode(here | {'after': found.next})}"
    return page.render(
        "sites/list.html", campaign_id=campaign_id, site_id=site_id, status=status,
        statuses=STATUSES, rows=found.items, more=more, names=names, now=now,
    )  # fmt: skip


async def _names(page: Page) -> dict[str, str]:
    assert page.user is not None
    places = (await reference.list_locations(page.services, page.user)).items
    found = {p["location_id"]: p["name"] for p in places}
    return found | {p["province_code"]: p["province_name"] or p["province_code"]
                    for p in places if p.get("province_code")}  # fmt: skip
