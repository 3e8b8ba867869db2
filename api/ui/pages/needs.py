"""The coordinator's needs page: per site of a campaign, the units still due less held less
in transit; a site's shortfall links to a requisition form filled with it."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Response

from api.permissions import grant
from api.routing import Router
from api.ui.pages.requisitions import reference
from api.ui.web import Page, PageRoute, section
from services.app import names, needs

Coordinator = Annotated[Page, Depends(section("coordinator"))]
router = Router(prefix="/coordinator", route_class=PageRoute, include_in_schema=False)


@router.get("/needs")
async def needs_page(page: Coordinator, campaign_id: str | None = None) -> Response:
    """A campaign's needs per site, with the totals per region; a link to request each
    site's shortfall for those who raise requisitions."""
    assert page.user is not None
    all_campaigns = await names.campaigns(page.services)
    chosen = campaign_id or (all_campaigns[0]["campaign_id"] if all_campaigns else None)
    found = await needs.campaign_needs(page.services, page.user, chosen) if chosen else None
    may_request = grant(page.user.role, "requisitions.write") is not None
    links = {}
    if found and may_request:
        links = {s["site_id"]: _request_url(s, found["item_id"]) for s in found["sites"]
                 if s["short"] > 0}  # fmt: skip
    regions, _ = await names.area_names(page.services)
    return page.render(
        "coordinator/needs.html", regions=regions, campaigns=all_campaigns, chosen=chosen,
        needs=found, links=links, names=(await reference(page))["names"],
    )  # fmt: skip


def _request_url(site: dict[str, Any], item_id: str) -> str:
    """The requisition form, filled with the site's shortfall of the campaign's item."""
    filled = {"requesting_location_id": site["site_id"], "item_id": item_id,
              "quantity": site["short"]}  # fmt: skip
    return "/requisitions/new?" + urlencode(filled)
