"""The donor: their donations, each traced to where it went, by region and month, and into
the kits (food baskets) assembled from it; a cash donation by the goods it bought, item by
item (as a donation of several items)."""

from __future__ import annotations

import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Response

from api import answers
from api.ui.pages import pledges
from api.ui.web import Page, PageRoute, section
from services.app import cash, names, proofs, relief

router = APIRouter(prefix="/donor", route_class=PageRoute, include_in_schema=False)
Donor = Annotated[Page, Depends(section("donor"))]
PARTS = ("distributed", "in_kits", "in_stock", "in_transit", "lost")


def shares(trace: Any) -> list[dict[str, Any]]:
    """The parts of a donation (they add up to what was received), with their share."""
    in_stock = sum(s.quantity for s in trace.in_stock)
    amounts = {
        "distributed": trace.distributed.quantity,
        "in_kits": trace.in_kits,
        "in_stock": in_stock,
        "in_transit": trace.in_transit,
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
async def donations_page(page: Donor, donation_id: str | None = None) -> Response:
    """Every donation of this donor (one when asked), with its trace."""
    assert page.user is not None
    services, user = page.services, page.user
    if donation_id:
        await relief.trace_donation(services, user, donation_id)  # 403 if not theirs
    gifts = (await relief.list_donations(services, user)).items
    money = await cash.list_cash_donations(services, user)
    if donation_id:
        gifts = [g for g in gifts if g["donation_id"] == donation_id]
        money = [c for c in money if c["donation_id"] == donation_id]
    traced = []
    for gift, is_cash in [(g, False) for g in gifts] + [(c, True) for c in money]:
        trace = answers.trace(await relief.trace_donation(services, user, gift["donation_id"]))
        several = len(trace.items) > 1  # then units summed over items mean nothing
        traced.append({"gift": gift, "trace": trace, "parts": shares(trace), "cash": is_cash,
                       "by_item": is_cash or several,
                       "one_item": not several and (trace.items or not is_cash)})  # fmt: skip
    regions, _ = await names.area_names(services)
    items = await names.item_names(services)
    locations = await names.location_names(services)
    promised = await pledges.donor_pledges(page, traced) if not donation_id else []
    return page.render(
        "donor/donations.html", traced=traced, regions=regions, items=items,
        locations=locations, pledges=promised, amount=pledges.amount,
    )  # fmt: skip


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
