"""Kits as the read model knows them: compositions, and how many kits the stock can make."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, or_, select

from projections.paging import EVERYTHING, Id, Page, Paging, Sort, page_of, read_page
from projections.tables import inventory_lots, kit_components, locations

Row = dict[str, Any]


def composition(engine: Engine, kit_item_id: str, version: int | None = None) -> Row | None:
    """A kit's composition (the latest version unless one is named), or None if not a kit."""
    k = kit_components
    with engine.connect() as conn:
        if version is None:
            version = conn.scalar(
                select(func.max(k.c.version)).where(k.c.kit_item_id == kit_item_id)
            )
        rows = conn.execute(
            select(k.c.item_id, k.c.quantity)
            .where(k.c.kit_item_id == kit_item_id, k.c.version == version)
            .order_by(k.c.item_id)
        ).all()
    if not rows:
        return None
    return {
        "kit_item_id": kit_item_id,
        "version": version,
        "components": [{"item_id": i, "quantity": int(q)} for i, q in rows],
    }


def kits_holding(engine: Engine, item_id: str) -> list[str]:
    """The kits whose current composition holds the item."""
    k = kit_components
    latest = (
        select(k.c.kit_item_id, func.max(k.c.version).label("version"))
        .group_by(k.c.kit_item_id)
        .subquery()
    )
    stmt = (
        select(k.c.kit_item_id)
        .join(latest, (latest.c.kit_item_id == k.c.kit_item_id) & (latest.c.version == k.c.version))
        .where(k.c.item_id == item_id)
        .order_by(k.c.kit_item_id)
    )
    with engine.connect() as conn:
        return list(conn.scalars(stmt))


def current_compositions(engine: Engine, kit_item_id: str | None = None) -> list[Row]:
    """Every kit's latest composition (or one kit's)."""
    k = kit_components
    stmt = select(k.c.kit_item_id).distinct().order_by(k.c.kit_item_id)
    if kit_item_id is not None:
        stmt = stmt.where(k.c.kit_item_id == kit_item_id)
    with engine.connect() as conn:
        kits = list(conn.scalars(stmt))
    return [c for kit in kits if (c := composition(engine, kit)) is not None]


def compositions(engine: Engine, paging: Paging = EVERYTHING) -> Page:
    """Every kit's current composition, a page of kits at a time (by kit)."""
    kits = select(kit_components.c.kit_item_id).distinct()
    found = read_page(engine, kits, [Sort(kit_components.c.kit_item_id, "kit_item_id")], paging)
    recipes = [composition(engine, row["kit_item_id"]) for row in found.items]
    return Page([r for r in recipes if r is not None], found.next)


def usable_on_hand(
    engine: Engine, today: date, location_ids: Collection[str], item_ids: Collection[str]
) -> dict[tuple[str, str], int]:
    """Units per (location, item) that can go into kits today: lots holding stock that have
    not expired (as the warehouse's writer counts them)."""
    lots = inventory_lots
    stmt = (
        select(lots.c.location_id, lots.c.item_id, func.sum(lots.c.on_hand))
        .where(
            lots.c.location_id.in_(location_ids),
            lots.c.item_id.in_(item_ids),
            lots.c.on_hand > 0,
            or_(lots.c.expires_on.is_(None), lots.c.expires_on >= today),
        )
        .group_by(lots.c.location_id, lots.c.item_id)
    )
    with engine.connect() as conn:
        return {(loc, item): int(q) for loc, item, q in conn.execute(stmt)}


def lots_at(engine: Engine, location_id: str, item_ids: Collection[str]) -> list[Row]:
    """The lots of these items at a location that hold stock (or owe it), as the location's
    writer sees them: item, lot, expiry and on hand."""
    lots = inventory_lots
    stmt = (
        select(lots.c.item_id, lots.c.lot, lots.c.expires_on, lots.c.on_hand)
        .where(
            lots.c.location_id == location_id,
            lots.c.item_id.in_(item_ids),
            lots.c.on_hand != 0,
        )
        .order_by(lots.c.item_id, lots.c.lot)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def warehouses(engine: Engine, among: Collection[str] | None) -> list[str]:
    stmt = select(locations.c.location_id).where(locations.c.kind == "warehouse")
    if among is not None:
        stmt = stmt.where(locations.c.location_id.in_(among))
    with engine.connect() as conn:
        return list(conn.scalars(stmt.order_by(locations.c.location_id)))


def kits_possible(
    engine: Engine,
    today: date,
    location_ids: Collection[str],
    kit_item_id: str | None = None,
    paging: Paging = EVERYTHING,
) -> tuple[Page, list[Row]]:
    """Per location × kit, the kits already there (not expired), how many more the usable
    stock makes and which component limits it; with the totals per kit over all the
    locations (not only the page)."""
    recipes = current_compositions(engine, kit_item_id)
    items = {c["item_id"] for r in recipes for c in r["components"]}
    kits = {r["kit_item_id"] for r in recipes}
    held = usable_on_hand(engine, today, location_ids, items | kits)
    rows = [_possible(loc, recipe, held) for loc in location_ids for recipe in recipes]
    totals: dict[str, Row] = {}
    for row in rows:
        total = totals.setdefault(row["kit_item_id"], {"possible": 0, "on_hand": 0})
        total["possible"] += row["possible"]
        total["on_hand"] += row["on_hand"]
    page = page_of(rows, lambda r: [r["kit_item_id"], r["location_id"]], paging, (Id, Id))
    return page, [{"kit_item_id": k} | t for k, t in sorted(totals.items())]


def _possible(location_id: str, recipe: Row, held: dict[tuple[str, str], int]) -> Row:
    parts = [
        {"item_id": c["item_id"], "per_kit": c["quantity"],
         "available": held.get((location_id, c["item_id"]), 0)}
        for c in recipe["components"]
    ]  # fmt: skip
    limiting = min(parts, key=lambda p: (p["available"] // p["per_kit"], p["item_id"]))
    return {
        "location_id": location_id,
        "kit_item_id": recipe["kit_item_id"],
        "composition_version": recipe["version"],
        "on_hand": held.get((location_id, recipe["kit_item_id"]), 0),
        "possible": limiting["available"] // limiting["per_kit"],
        "limited_by": limiting["item_id"],
        "components": parts,
    }
