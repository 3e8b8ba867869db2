"""A campaign's needs: per site, province and region, the units its waiting households are
still due less what the site holds and what is on its way; for a kit, in kits, with the
components the supplying warehouse lacks to assemble them. Numbers only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from projections import kit_queries, needs_queries, queries
from services.app.campaigns import find_campaign
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, known
from services.domain.requisitions.needs import (
    SiteStock,
    components_short,
    per_area,
    site_need,
    summed,
)


async def campaign_needs(
    ports: Ports, user: User, campaign_id: str, supplying_location_id: str | None = None
) -> dict[str, Any]:
    """The campaign's needs; the component shortfall only for a kit and a named warehouse."""
    authorize(user, "registry.read")
    item_id = (await find_campaign(ports, campaign_id))["item_id"]
    if supplying_location_id is not None:
        await known(ports, queries.location, supplying_location_id, "supplying_location_id",
                    "location")  # fmt: skip
    sites = await in_thread(site_stock, ports, campaign_id, item_id)
    provinces, regions = per_area(sites)
    needs = {s.site_id: site_need(s) for s in sites}
    recipe = await in_thread(kit_queries.composition, ports.engine, item_id)
    components = None
    if recipe is not None and supplying_location_id is not None:
        parts = {c["item_id"]: c["quantity"] for c in recipe["components"]}
        held = await in_thread(needs_queries.on_hand, ports.engine, [supplying_location_id],
                               [item_id, *parts])  # fmt: skip
        short = sum(n.short for n in needs.values())
        kits = held.get((supplying_location_id, item_id), 0)
        stock = {i: held.get((supplying_location_id, i), 0) for i in parts}
        components = [asdict(c) for c in components_short(short, kits, parts, stock)]
    return {
        "campaign_id": campaign_id,
        "item_id": item_id,
        "kit": recipe is not None,
        "sites": [asdict(s) | asdict(needs[s.site_id]) for s in sites],
        "provinces": [
            {"region_code": r, "province_code": p or None} | asdict(n)
            for (r, p), n in provinces.items()
        ],
        "regions": [{"region_code": r} | asdict(n) for r, n in regions.items()],
        "total": asdict(summed(needs.values())),
        "supplying_location_id": supplying_location_id,
        "components": components,
    }


def site_stock(ports: Ports, campaign_id: str, item_id: str) -> list[SiteStock]:
    """Per site expecting the campaign's households: what it is due, holds and awaits
    (blocking)."""
    due = needs_queries.sites_due(ports.engine, campaign_id)
    ids = [d["site_id"] for d in due]
    held = needs_queries.on_hand(ports.engine, ids, [item_id])
    moving = needs_queries.in_transit_to(ports.engine, ids, item_id)
    return [
        SiteStock(
            d["site_id"],
            d["region_code"],
            d["province_code"],
            int(d["due_quantity"]),
            held.get((d["site_id"], item_id), 0),
            moving.get(d["site_id"], 0),
        )
        for d in due
    ]
