"""The coordinator's social watch: the registry and a campaign's reach per province and
target group, the precarity scores' spread and the months; counts only, small ones hidden."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Response

from api.routing import Router
from api.ui.web import Page, PageRoute, section
from services.app import names
from services.app import social_watch as watch

router = Router(prefix="/coordinator/social-watch", route_class=PageRoute, include_in_schema=False)
Coordinator = Annotated[Page, Depends(section("coordinator"))]
BANDS = [None, *range(0, 100, 10)]
MONTHS_SHOWN = 6


@router.get("")
async def social_watch_page(page: Coordinator, campaign_id: str | None = None) -> Response:
    """Per province: households (people) registered in each group; with a campaign chosen,
    reached of eligible in each group; the precarity bands; the last months, and what
    rose."""
    assert page.user is not None
    all_campaigns = await names.campaigns(page.services)
    chosen = campaign_id or (all_campaigns[0]["campaign_id"] if all_campaigns else None)
    found = await watch.social_watch(page.services, page.user, chosen)
    regions, provinces = await names.area_names(page.services)
    for area in found["areas"]:
        bands = {b["band"]: b["households"] for b in area["precarity"]}
        area["bands"] = [bands.get(band, 0) for band in BANDS]
        area["months"] = area["months"][-MONTHS_SHOWN:]
    return page.render(
        "coordinator/social_watch.html", campaigns=all_campaigns, chosen=chosen, watch=found,
        regions=regions, provinces=provinces, bands=BANDS,
    )  # fmt: skip
