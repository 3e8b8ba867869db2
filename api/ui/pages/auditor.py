"""The auditor: the history of any location, household, campaign, convoy, donation, user or
item, in order, with who, when, in which flow, and what each event said; a location's stock
as it stood at the end of any day, and each item's stock card."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Response

from api import answers
from api.routing import Router
from api.schemas.dates import Day
from api.schemas.stock import StockCard
from api.ui.i18n import LOCAL_TIME
from api.ui.web import CARD_ROWS, Page, PageRoute, more_url, section
from projections.history import KINDS
from projections.paging import Paging
from services.app import history, inventory, reference

router = Router(prefix="/auditor", route_class=PageRoute, include_in_schema=False)
Auditor = Annotated[Page, Depends(section("auditor"))]
PAGE_ROWS = 50


@router.get("")
async def history_page(
    page: Auditor, kind: str = "location", id: str = "", after: str | None = None
) -> Response:
    """A subject's history, 50 events at a time, with a link to the next."""
    assert page.user is not None
    found = None
    more = None
    if id and kind in KINDS:
        found = await history.history(page.services, page.user, kind, id, Paging(PAGE_ROWS, after))
        if found.next:
            more = "/auditor?" + urlencode({"kind": kind, "id": id, "after": found.next})
    return page.render(
        "auditor/history.html", kinds=KINDS, kind=kind, subject_id=id,
        entries=found.items if found else None, more=more, tab="history",
    )  # fmt: skip


async def _names(page: Page) -> dict[str, Any]:
    """Every location (to choose from) and the names of locations and items."""
    assert page.user is not None
    locations = (await reference.list_locations(page.services, page.user)).items
    items = (await reference.list_items(page.services, page.user)).items
    names = {loc["location_id"]: loc["name"] for loc in locations}
    return {"locations": locations, "names": names | {i["item_id"]: i["name"] for i in items}}


@router.get("/stock")
async def stock_as_of(
    page: Auditor, location_id: str | None = None, on: Day | None = None, after: str | None = None
) -> Response:
    """What a location held at the end of a day (local time), lot by lot, PAGE_ROWS lots at
    a time, with each item's stock card a click away."""
    assert page.user is not None
    ref = await _names(page)
    rows, more = None, None
    if location_id:
        end_of_day = datetime.combine(on + timedelta(days=1), time(), LOCAL_TIME) if on else None
        as_of = end_of_day.astimezone(UTC) - timedelta(microseconds=1) if end_of_day else None
        found = await inventory.inventory(
            page.services, page.user, location_id, None, as_of, Paging(PAGE_ROWS, after)
        )
        rows = [answers.inventory_row(r) for r in found.items]
        here = {"location_id": location_id} | ({"on": on.isoformat()} if on else {})
        more = more_url("/auditor/stock", found.next, **here)
    return page.render(
        "auditor/stock.html", rows=rows, location_id=location_id, on=on, tab="stock",
        more=more, **ref,
    )  # fmt: skip


@router.get("/card")
async def card(page: Auditor, location_id: str, item_id: str, after: str | None = None) -> Response:
    """Every movement of an item at a location with its running balance (read only), a page
    at a time."""
    assert page.user is not None
    found = await inventory.stock_card(
        page.services, page.user, location_id, item_id, Paging(CARD_ROWS, after)
    )
    lines = [answers.card_line(r) for r in found.items]
    shown = StockCard(location_id=location_id, item_id=item_id, items=lines)
    more = more_url("/auditor/card", found.next, location_id=location_id, item_id=item_id)
    ref = await _names(page)
    return page.render(
        "auditor/card.html", card=shown, may_void=False, tab="stock", more=more, **ref
    )
