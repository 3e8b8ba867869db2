"""Pledges in the pages: the donor's own, with what arrived of each and where it went; the
coordinator's list of pledges overdue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Response

from api.deps import Now
from api.routing import Router
from api.ui.web import Page, PageRoute, more_url, section
from events.money import to_decimal
from projections.paging import Paging
from services.app import names, pledges

Coordinator = Annotated[Page, Depends(section("coordinator"))]
router = Router(prefix="/coordinator", route_class=PageRoute, include_in_schema=False)
PARTS = ("in_stock", "in_transit", "distributed", "lost")
Row = dict[str, Any]
OVERDUE_ROWS = 50


def amount(pledge: Row, field: str) -> str:
    """A pledge's figure as read: units of its item, or a decimal of its currency."""
    value = pledge[field]
    return to_decimal(value, pledge["currency"]) if pledge["currency"] else str(value)


def with_parts(pledge: Row, traced: list[Row]) -> Row:
    """A pledge of goods with where the donations fulfilling it went (the trace's figures,
    summed over those donations: the same item, so the same unit); a pledge of money with
    the goods its cash donations bought, item by item (`goods`)."""
    mine = [d for d in traced if d["gift"].get("pledge_id") == pledge["pledge_id"]]
    if not pledge["item_id"]:
        return pledge | {"parts": None, "goods": bought(mine)}
    parts = {name: 0 for name in PARTS}
    for d in mine:  # what is inside kits counted where the kits are, as the trace does
        trace = d["trace"]
        parts["in_stock"] += sum(s.quantity for s in trace.in_stock)
        parts["in_transit"] += trace.in_transit
        parts["distributed"] += trace.distributed.quantity
        parts["lost"] += max(trace.lost, 0)
    return pledge | {"parts": parts, "goods": []}


def bought(traced: list[Row]) -> list[Row]:
    """Item by item, where the goods the donations bought went, summed over the donations
    (what is inside kits counted in stock, as for a pledge of goods)."""
    goods: dict[str, Row] = {}
    for d in traced:
        for item in d["trace"].items:
            row = goods.setdefault(
                item.item_id, {"item_id": item.item_id} | dict.fromkeys(PARTS, 0)
            )
            row["in_stock"] += item.in_stock  # what is inside kits in stock included
            row["in_transit"] += item.in_transit
            row["distributed"] += item.distributed
            row["lost"] += max(item.lost, 0)
    return [goods[item_id] for item_id in sorted(goods)]


async def donor_pledges(
    page: Page, paging: Paging, trace: Callable[[Page, Row, bool], Awaitable[Row]]
) -> tuple[list[Row], str | None]:
    """A page of the signed-in donor's pledges, each with its figures from the traces of the
    donations fulfilling it (`trace` gives one), and the next page's cursor."""
    assert page.user is not None
    found = await pledges.list_pledges(page.services, page.user, paging=paging)
    shown = []
    for pledge in found.items:
        gifts = await pledges.gifts_of_pledge(page.services, page.user, pledge)
        traced = [await trace(page, gift, is_cash) for gift, is_cash in gifts]
        shown.append(with_parts(pledge, traced))
    return shown, found.next


@router.get("/pledges")
async def overdue_page(page: Coordinator, now: Now, after: str | None = None) -> Response:
    """Pledges due before today with something still outstanding, the longest overdue first,
    OVERDUE_ROWS at a time."""
    assert page.user is not None
    listed = await pledges.list_pledges(
        page.services, page.user, None, now.date(), Paging(OVERDUE_ROWS, after)
    )
    found = listed.items
    donors = await names.donor_names(page.services)
    items = await names.item_names(page.services)
    more = more_url("/coordinator/pledges", listed.next)
    return page.render("coordinator/pledges.html", pledges=found, donors=donors, items=items,
                       amount=amount, more=more)  # fmt: skip
