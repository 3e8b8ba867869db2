"""The figures behind the 4W, distribution and stock reports."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from projections.queries import fetch_all, stream_all
from projections.tables import (
    campaigns,
    coverage_counts,
    deployments,
    distribution_days,
    inventory_lots,
    items,
    kit_components,
    locations,
)


def area_names(engine: Engine) -> tuple[dict[str, str], dict[str, str]]:
    """Region and province names by P-code, as the locations recorded them."""
    loc = locations
    regions = fetch_all(engine, select(loc.c.region_code, loc.c.region_name).distinct())
    named = select(loc.c.province_code, loc.c.province_name).where(loc.c.province_code.is_not(None))
    provinces = fetch_all(engine, named.distinct())
    return (
        {r["region_code"]: r["region_name"] for r in regions},
        {r["province_code"]: r["province_name"] for r in provinces},
    )


def item_names(engine: Engine) -> dict[str, str]:
    return {r["item_id"]: r["name"] for r in fetch_all(engine, select(items))}


def item_weights(engine: Engine) -> dict[str, Decimal]:
    """The weight of one base unit in kg, where known: the item's own, or, for a kit that has
    none, the sum of its latest composition's components (when every one has a weight)."""
    own = {
        r["item_id"]: Decimal(r["weight_kg"])
        for r in fetch_all(engine, select(items.c.item_id, items.c.weight_kg))
        if r["weight_kg"]
    }
    k = kit_components
    latest = (
        select(k.c.kit_item_id, func.max(k.c.version).label("version"))
        .group_by(k.c.kit_item_id)
        .subquery()
    )
    rows = fetch_all(
        engine,
        select(k.c.kit_item_id, k.c.item_id, k.c.quantity).join(
            latest,
            (latest.c.kit_item_id == k.c.kit_item_id) & (latest.c.version == k.c.version),
        ),
    )
    kits: dict[str, list[tuple[str, int]]] = {}
    for r in rows:
        kits.setdefault(r["kit_item_id"], []).append((r["item_id"], int(r["quantity"])))
    made = {
        kit: sum((own[item] * quantity for item, quantity in parts), Decimal(0))
        for kit, parts in kits.items()
        if kit not in own and all(item in own for item, _ in parts)
    }
    return own | made


def campaign_reach(engine: Engine, campaign_ids: list[str]) -> list[dict[str, Any]]:
    """Per campaign × region × province: households reached and quantity distributed, from
    the counts the registry projection keeps."""
    n, c = coverage_counts, campaigns
    stmt = (
        select(
            c.c.campaign_id,
            c.c.name,
            c.c.item_id,
            c.c.starts_on,
            c.c.ends_on,
            n.c.region_code,
            func.nullif(n.c.province_code, "").label("province_code"),
            n.c.reached_households.label("households"),
            n.c.quantity,
        )
        .join(n, n.c.campaign_id == c.c.campaign_id)
        .where(n.c.reached_households > 0, c.c.campaign_id.in_(campaign_ids))
        .order_by(c.c.campaign_id, n.c.region_code, n.c.province_code)
    )
    return fetch_all(engine, stmt)


def campaigns_of(engine: Engine, operation_id: str) -> list[str]:
    stmt = select(campaigns.c.campaign_id).where(campaigns.c.operation_id == operation_id)
    return [r["campaign_id"] for r in fetch_all(engine, stmt)]


def delivered_convoys(engine: Engine, operation_id: str) -> list[dict[str, Any]]:
    """Delivered deployments of an operation, with where they arrived."""
    dep, loc = deployments, locations
    stmt = (
        select(dep, loc.c.region_code, loc.c.province_code)
        .join(loc, loc.c.location_id == dep.c.to_location_id)
        .where(dep.c.operation_id == operation_id, dep.c.status == "delivered")
        .order_by(dep.c.delivered_at)
    )
    return fetch_all(engine, stmt)


def distribution_lines(engine: Engine, campaign_id: str | None) -> Iterator[tuple[Any, ...]]:
    """Per campaign × site × day: households and quantity, from the counts the registry
    projection keeps (streamed)."""
    n = distribution_days
    stmt = select(
        n.c.campaign_id,
        n.c.item_id,
        n.c.region_code,
        func.nullif(n.c.province_code, "").label("province_code"),
        n.c.site_id,
        n.c.day,
        n.c.households,
        n.c.quantity,
    ).order_by(n.c.campaign_id, n.c.day, n.c.site_id, n.c.item_id, n.c.region_code,
               n.c.province_code)  # fmt: skip
    stmt = stmt.where(n.c.households > 0)  # a day whose distributions were all voided
    if campaign_id:
        stmt = stmt.where(n.c.campaign_id == campaign_id)
    return stream_all(engine, stmt)


def stock_lines(engine: Engine) -> Iterator[tuple[Any, ...]]:
    """Per location, item and lot with stock: the location's name, id, region name and code,
    the item, lot, expiry and on hand (streamed)."""
    lots, loc = inventory_lots, locations
    stmt = (
        select(
            loc.c.name,
            lots.c.location_id,
            loc.c.region_name,
            loc.c.region_code,
            lots.c.item_id,
            lots.c.lot,
            lots.c.expires_on,
            lots.c.on_hand,
        )
        .join(loc, loc.c.location_id == lots.c.location_id)
        .where(lots.c.on_hand != 0)
        .order_by(lots.c.location_id, lots.c.item_id, lots.c.lot)
    )
    return stream_all(engine, stmt)
