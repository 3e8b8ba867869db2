"""Read-side queries for relief: operations, deployments, donations and donor traces."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select, tuple_

from projections.paging import EVERYTHING, Page, Paging, Sort, read_page
from projections.queries import fetch_all
from projections.tables import (
    deployments,
    distributions,
    donations,
    donors,
    kit_lot_donations,
    kit_lots,
    lot_distributions,
    operations,
    stock_movements,
    transfer_lines,
)

RECEIPT_KINDS = ("StockReceived", "StockReceiptVoided")
LOSS_KINDS = ("StockAdjusted", "StockCounted", "StockAdjustmentVoided", "StockCountVoided")


def all_operations(engine: Engine, paging: Paging = EVERYTHING) -> Page:
    by_id = [Sort(operations.c.operation_id, "operation_id")]
    return read_page(engine, select(operations), by_id, paging)


def operation(engine: Engine, operation_id: str) -> dict[str, Any] | None:
    rows = fetch_all(engine, select(operations).where(operations.c.operation_id == operation_id))
    return rows[0] if rows else None


def all_donors(
    engine: Engine, donor_ids: list[str] | None = None, paging: Paging = EVERYTHING
) -> Page:
    stmt = select(donors)
    if donor_ids is not None:
        stmt = stmt.where(donors.c.donor_id.in_(donor_ids))
    return read_page(engine, stmt, [Sort(donors.c.donor_id, "donor_id")], paging)


def donor(engine: Engine, donor_id: str) -> dict[str, Any] | None:
    rows = fetch_all(engine, select(donors).where(donors.c.donor_id == donor_id))
    return rows[0] if rows else None


def donation(engine: Engine, donation_id: str) -> dict[str, Any] | None:
    rows = fetch_all(engine, select(donations).where(donations.c.donation_id == donation_id))
    return rows[0] if rows else None


def donations_of(engine: Engine, donor_ids: list[str] | None, paging: Paging = EVERYTHING) -> Page:
    """Donations, the latest received first."""
    d = donations
    stmt = select(d)
    if donor_ids is not None:
        stmt = stmt.where(d.c.donor_id.in_(donor_ids))
    latest_first = [
        Sort(d.c.received_at, "received_at", descending=True),
        Sort(d.c.donation_id, "donation_id", descending=True),
    ]
    return read_page(engine, stmt, latest_first, paging)


def deployment_board(engine: Engine, operation_id: str | None, paging: Paging = EVERYTHING) -> Page:
    d = deployments
    stmt = select(d)
    if operation_id:
        stmt = stmt.where(d.c.operation_id == operation_id)
    order = [Sort(d.c.planned_at, "planned_at"), Sort(d.c.deployment_id, "deployment_id")]
    return read_page(engine, stmt, order, paging)


def deployment(engine: Engine, deployment_id: str) -> dict[str, Any] | None:
    rows = fetch_all(
        engine, select(deployments).where(deployments.c.deployment_id == deployment_id)
    )
    return rows[0] if rows else None


def trace(engine: Engine, donation_id: str) -> dict[str, Any]:
    """Where a donation's units are: in stock, in transit, distributed, lost, or inside kits
    (they add up); and, through the kits, the kits handed out that hold some of it."""
    m, t = stock_movements, transfer_lines
    with engine.connect() as conn:
        received = conn.scalar(
            select(func.coalesce(func.sum(m.c.quantity), 0)).where(
                m.c.donation_id == donation_id, m.c.kind.in_(RECEIPT_KINDS)
            )
        )
        in_stock = conn.execute(
            select(m.c.location_id, func.sum(m.c.quantity))
            .where(m.c.donation_id == donation_id)
            .group_by(m.c.location_id)
            .order_by(m.c.location_id)
        ).all()
        in_transit, missing = conn.execute(
            select(
                func.coalesce(
                    func.sum(t.c.dispatched - t.c.received - t.c.missing - t.c.returned), 0
                ),
                func.coalesce(func.sum(t.c.missing), 0),
            ).where(t.c.donation_id == donation_id)
        ).one()
        adjusted = conn.scalar(
            select(func.coalesce(func.sum(m.c.quantity), 0)).where(
                m.c.donation_id == donation_id, m.c.kind.in_(LOSS_KINDS)
            )
        )
        handed = _handed(conn, lot_distributions.c.donation_id == donation_id)
        through_kits = _through_kits(conn, donation_id)
    return {
        "donation_id": donation_id,
        "received": int(received or 0),
        "in_stock": [{"location_id": loc, "quantity": int(q)} for loc, q in in_stock if q],
        "in_transit": int(in_transit),
        "distributed": _distributed(handed),
        "lost": int(missing) - int(adjusted or 0),
        "in_kits": sum(lot["units"] for lot in through_kits["lots"]),
        "through_kits": through_kits,
    }


def _handed(conn: Connection, which: Any) -> Sequence[Any]:
    """The lot distributions `which` selects: quantity, area, campaign, time and household."""
    ld, d = lot_distributions, distributions
    return conn.execute(
        select(
            ld.c.quantity,
            ld.c.region_code,
            ld.c.province_code,
            ld.c.campaign_id,
            ld.c.occurred_at,
            func.coalesce(d.c.household_id, ld.c.distribution_id),
        )
        .select_from(ld.outerjoin(d, d.c.distribution_id == ld.c.distribution_id))
        .where(which)
    ).all()


def _through_kits(conn: Connection, donation_id: str) -> dict[str, Any]:
    """The donation followed into kits: what each kit lot holds of it (units, of how many
    kits), the kits of those lots handed out, where and to how many households, and the
    donation's share of them (each kit handed carries units / kits of it, rounded down)."""
    kd, kl, ld = kit_lot_donations, kit_lots, lot_distributions
    contents = conn.execute(
        select(kd.c.kit_item_id, kd.c.lot, kd.c.item_id, kd.c.units, kl.c.kits)
        .select_from(kd.join(kl, and_(kl.c.kit_item_id == kd.c.kit_item_id, kl.c.lot == kd.c.lot)))
        .where(kd.c.donation_id == donation_id, kd.c.units != 0)
        .order_by(kd.c.kit_item_id, kd.c.lot, kd.c.item_id)
    ).all()
    lots = [
        {"kit_item_id": kit, "lot": lot, "item_id": item, "units": int(units), "kits": int(kits)}
        for kit, lot, item, units, kits in contents
    ]
    keys = sorted({(lot["kit_item_id"], lot["lot"]) for lot in lots})
    handed = _handed(conn, tuple_(ld.c.item_id, ld.c.lot).in_(keys)) if keys else []
    kits_handed = dict.fromkeys(keys, 0)
    if keys:
        per_lot = conn.execute(
            select(ld.c.item_id, ld.c.lot, func.sum(ld.c.quantity))
            .where(tuple_(ld.c.item_id, ld.c.lot).in_(keys))
            .group_by(ld.c.item_id, ld.c.lot)
        ).all()
        kits_handed |= {(kit, lot): int(n) for kit, lot, n in per_lot}
    units_handed = sum(
        kits_handed[(lot["kit_item_id"], lot["lot"])] * lot["units"] // lot["kits"]
        for lot in lots
        if lot["kits"] > 0
    )
    return {"lots": lots, "units_handed": units_handed, "distributed": _distributed(handed)}


def _distributed(rows: Sequence[Any]) -> dict[str, Any]:
    households: set[str] = set()
    groups: dict[str, dict[str, dict[str, Any]]] = {
        g: defaultdict(lambda: {"quantity": 0, "households": set()})
        for g in ("region_code", "province_code", "campaign_id", "month")
    }
    for quantity, region, province, campaign, when, household in rows:
        households.add(household)
        for name, value in (
            ("region_code", region),
            ("province_code", province),
            ("campaign_id", campaign),
            ("month", when.strftime("%Y-%m")),
        ):
            bucket = groups[name][value or ""]
            bucket["quantity"] += int(quantity)
            bucket["households"].add(household)
    summary: dict[str, Any] = {
        "quantity": sum(int(r[0]) for r in rows),
        "households": len(households),
    }
    for name, label in (
        ("region_code", "by_region"),
        ("province_code", "by_province"),
        ("campaign_id", "by_campaign"),
        ("month", "by_month"),
    ):
        summary[label] = [
            {name: key, "quantity": v["quantity"], "households": len(v["households"])}
            for key, v in sorted(groups[name].items())
        ]
    return summary
