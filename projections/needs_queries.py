"""What a campaign's needs read: the units due per site as the registry projection keeps
them, and what each site holds of an item or has on its way."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Engine, func, select

from projections.tables import (
    deployments,
    inventory_lots,
    locations,
    site_counts,
    transfer_lines,
    transfers,
)


def sites_due(engine: Engine, campaign_id: str) -> list[dict[str, Any]]:
    """Per site expecting households of the campaign: its area and the units still due."""
    n, loc = site_counts, locations
    stmt = (
        select(n.c.site_id, loc.c.region_code, loc.c.province_code, n.c.due_quantity)
        .join(loc, loc.c.location_id == n.c.site_id)
        .where(n.c.campaign_id == campaign_id)
        .order_by(n.c.site_id)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


Held = dict[tuple[str, str], int]  # (location, item) → units


def on_hand(engine: Engine, location_ids: Collection[str], item_ids: Collection[str]) -> Held:
    """Units per (location, item) held there, whatever their lot."""
    lots = inventory_lots
    stmt = (
        select(lots.c.location_id, lots.c.item_id, func.sum(lots.c.on_hand))
        .where(lots.c.location_id.in_(location_ids), lots.c.item_id.in_(item_ids))
        .group_by(lots.c.location_id, lots.c.item_id)
    )
    with engine.connect() as conn:
        return {(loc, item): int(q) for loc, item, q in conn.execute(stmt)}


def in_transit_to(engine: Engine, location_ids: Collection[str], item_id: str) -> dict[str, int]:
    """Units of the item dispatched to each location by transfers not received yet and by
    convoys not delivered yet (a convoy's stock moves as a transfer of the convoy's id: it
    counts once, as the convoy's)."""
    t, ln = transfers, transfer_lines
    stmt = (
        select(t.c.to_location_id, func.sum(ln.c.dispatched))
        .join(ln, ln.c.transfer_id == t.c.transfer_id)
        .where(
            t.c.status == "in_transit",
            t.c.deployment_id.is_(None),  # a convoy's own transfer: counted by its convoy below
            t.c.to_location_id.in_(location_ids),
            ln.c.item_id == item_id,
        )
        .group_by(t.c.to_location_id)
    )
    d = deployments
    convoys = select(d.c.to_location_id, d.c.dispatched).where(
        d.c.status.in_(("dispatched", "delivering")), d.c.to_location_id.in_(location_ids)
    )
    with engine.connect() as conn:
        found = {loc: int(q) for loc, q in conn.execute(stmt)}
        for loc, lines in conn.execute(convoys):
            carried = sum(ln["quantity"] for ln in lines or () if ln["item_id"] == item_id)
            found[loc] = found.get(loc, 0) + carried
    return found
