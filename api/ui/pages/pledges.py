"""Pledges in the pages: the donor's own, with what arrived of each and where it went; the
coordinator's list of pledges overdue."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from api.deps import Now
from api.ui.web import Page, PageRoute, section
from events.money import to_decimal
from services.app import names, pledges

Coordinator = Annotated[Page, Depends(section("coordinator"))]
router = APIRouter(prefix="/coordinator", route_class=PageRoute, include_in_schema=False)
PARTS = ("in_stock", "in_transit", "distributed", "lost")
Row = dict[str, Any]


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
    for d in mine:
        for part in d["parts"]:
            if part["name"] in parts:
                parts[part["name"]] += part["quantity"]
            elif part["name"] == "in_kits":
                parts["in_stock"] += part["quantity"]  # inside kits, still ours to hand out
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
            row["in_stock"] += item.in_stock + item.in_kits
            row["in_transit"] += item.in_transit
            row["distributed"] += item.distributed
            row["lost"] += max(item.lost, 0)
    return [goods[item_id] for item_id in sorted(goods)]


async def donor_pledges(page: Page, traced: list[Row]) -> list[Row]:
    """The signed-in donor's pledges, each with its figures."""
    assert page.user is not None
    found = (await pledges.list_pledges(page.services, page.user)).items
    return [with_parts(p, traced) for p in found]


@router.get("/pledges")
async def overdue_page(page: Coordinator, now: Now) -> Response:
    """Pledges due before today with something still outstanding, the longest overdue first."""
    assert page.user is not None
    found = (await pledges.list_pledges(page.services, page.user, None, now.date())).items
    donors = await names.donor_names(page.services)
    items = await names.item_names(page.services)
    return page.render("coordinator/pledges.html", pledges=found, donors=donors, items=items,
                       amount=amount)  # fmt: skip
