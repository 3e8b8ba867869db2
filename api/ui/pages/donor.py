"""The donor: their donations, each traced to where it went, by region and month, and into
the kits (food baskets) assembled from it; a cash donation by the goods it bought, item by
item (as a donation of several items)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import Depends, Response

from api import answers
from api.routing import Router
from api.ui.pages import pledges
from api.ui.web import Page, PageRoute, section
from projections.paging import Paging
from services.app import cash, names, proofs, relief

router = Router(prefix="/donor", route_class=PageRoute, include_in_schema=False)
Donor = Annotated[Page, Depends(section("donor"))]
PARTS = ("distributed", "in_kits", "in_stock", "in_transit", "lost")
DONOR_ROWS = 20  # donations (each traced) and pledges per page


def shares(trace: Any) -> list[dict[str, Any]]:
    """The parts of a donation (they add up to what was received), with their share: the
    units inside kits still held shown apart from the stock and the transit that count them."""
    in_stock = sum(s.quantity for s in trace.in_stock)
    amounts = {
        "distributed": trace.distributed.quantity,
        "in_kits": trace.in_kits,
        "in_stock": in_stock - (trace.in_kits - trace.in_kits_in_transit),
        "in_transit": trace.in_transit - trace.in_kits_in_transit,
        "lost": max(trace.lost, 0),
    }
    total = max(sum(amounts.values()), 1)
    offset, parts = 0.0, []
    for name in PARTS:
        share = amounts[name] / total
        parts.append({"name": name, "quantity": amounts[name], "share": share, "x": offset})
        offset += share
    return parts


@router.get("")
async def donations_page(
    page: Donor,
    donation_id: str | None = None,
    after: str | None = None,
    cash_after: str | None = None,
    pledges_after: str | None = None,
) -> Response:
    """This donor's donations (one when asked), each with its trace, and its pledges: goods
    donations, cash donations and pledges each a page of DONOR_ROWS, with a link to the
    next."""
    assert page.user is not None
    services, user = page.services, page.user
    more: dict[str, str | None] = {}
    if donation_id:
        listed = [await relief.gift(services, user, donation_id)]  # 403 if not theirs
    else:
        gifts = await relief.list_donations(services, user, Paging(DONOR_ROWS, after))
        cash_gifts = await cash.list_cash_donations(services, user, Paging(DONOR_ROWS, cash_after))
        listed = [(g, False) for g in gifts.items] + [(c, True) for c in cash_gifts.items]
        more = {"goods": _next_page("after", gifts.next),
                "cash": _next_page("cash_after", cash_gifts.next)}  # fmt: skip
    traced = [await traced_gift(page, gift, is_cash) for gift, is_cash in listed]
    regions, _ = await names.area_names(services)
    items = await names.item_names(services)
    locations = await names.location_names(services)
    promised: list[dict[str, Any]] = []
    if not donation_id:
        promised, next_pledges = await pledges.donor_pledges(
            page, Paging(DONOR_ROWS, pledges_after), traced_gift
        )
        more["pledges"] = _next_page("pledges_after", next_pledges)
    return page.render(
        "donor/donations.html", traced=traced, regions=regions, items=items,
        locations=locations, pledges=promised, amount=pledges.amount, more=more,
    )  # fmt: skip


def _next_page(name: str, cursor: str | None) -> str | None:
    """The page with one of its lists moved on to its next page, or None on its last."""
    return f"/donor?{urlencode({name: cursor})}" if cursor else None


async def traced_gift(page: Page, gift: dict[str, Any], is_cash: bool) -> dict[str, Any]:
    """A donation (goods or cash) with its trace and the parts of it, as the page shows them."""
    assert page.user is not None
    found = await relief.trace_donation(page.services, page.user, gift["donation_id"])
    trace = answers.trace(found)
    several = len(trace.items) > 1  # then units summed over items mean nothing
    return {"gift": gift, "trace": trace, "parts": shares(trace), "cash": is_cash,
            "by_item": is_cash or several,
            "one_item": not several and (trace.items or not is_cash)}  # fmt: skip


@router.get("/proof/{donation_id}")
async def proof_download(page: Donor, donation_id: str) -> Response:
    """The donation's trace and its proof as a JSON file, for `events/verify_proof.py`; a page
    saying why when there is none yet (409)."""
    assert page.user is not None
    found = await proofs.donation_proof(page.services, page.user, donation_id)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", donation_id)
    return Response(
        orjson.dumps(answers.trace_with_proof(found)),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="proof-{name}.json"'},
    )
