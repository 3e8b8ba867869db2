"""Read-side queries for relief: operations, deployments, donations and donor traces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, func, select, tuple_

from projections.donor_trace import KitLot, TraceReading, by_item, trace_of
from projections.paging import EVERYTHING, Page, Paging, Sort, read_page
from projections.queries import fetch_one
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
    return fetch_one(engine, select(operations).where(operations.c.operation_id == operation_id))


def all_donors(
    engine: Engine, donor_ids: list[str] | None = None, paging: Paging = EVERYTHING
) -> Page:
    stmt = select(donors)
    if donor_ids is not None:
        stmt = stmt.where(donors.c.donor_id.in_(donor_ids))
    return read_page(engine, stmt, [Sort(donors.c.donor_id, "donor_id")], paging)


def donor(engine: Engine, donor_id: str) -> dict[str, Any] | None:
    return fetch_one(engine, select(donors).where(donors.c.donor_id == donor_id))


def donation(engine: Engine, donation_id: str) -> dict[str, Any] | None:
    return fetch_one(engine, select(donations).where(donations.c.donation_id == donation_id))


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
    return fetch_one(
        engine, select(deployments).where(deployments.c.deployment_id == deployment_id)
    )


def trace(engine: Engine, donation_id: str) -> dict[str, Any]:
    """Where a donation's units are (see `donor_trace`), read from the stock, transfer,
    kit and distribution read models in one connection."""
    m, t = stock_movements, transfer_lines
    ours = m.c.donation_id == donation_id
    with engine.connect() as conn:
        received = by_item(conn.execute(
            select(m.c.item_id, func.sum(m.c.quantity))
            .where(ours, m.c.kind.in_(RECEIPT_KINDS)).group_by(m.c.item_id)
        ).all())  # fmt: skip
        stocked = conn.execute(
            select(m.c.location_id, m.c.item_id, func.sum(m.c.quantity))
            .where(ours)
            .group_by(m.c.location_id, m.c.item_id)
            .order_by(m.c.location_id)
        ).all()
        moving = conn.execute(
            select(t.c.item_id,
                   func.sum(t.c.dispatched - t.c.received - t.c.missing - t.c.returned),
                   func.sum(t.c.missing))
            .where(t.c.donation_id == donation_id).group_by(t.c.item_id)
        ).all()  # fmt: skip
        adjusted = by_item(conn.execute(
            select(m.c.item_id, func.sum(m.c.quantity))
            .where(ours, m.c.kind.in_(LOSS_KINDS)).group_by(m.c.item_id)
        ).all())  # fmt: skip
        handed = _handed(
            conn, lot_distributions.c.donation_id == donation_id, lot_distributions.c.item_id
        )
        held = _kit_lots(conn, donation_id)
        kit_lots_held = sorted({(kit, lot) for kit, lot, _ in held})
        reading = TraceReading(
            received=received,
            stocked=[(loc, item, int(q or 0)) for loc, item, q in stocked],
            moving=[(item, int(n or 0), int(lost or 0)) for item, n, lost in moving],
            adjusted=adjusted,
            handed=list(handed),
            held=held,
            kits_handed=_kits_handed(conn, kit_lots_held),
            kits_lost=_kits_lost(conn, kit_lots_held),
            kits_moving=_kits_in_transit(conn, kit_lots_held),
            kits_stocked=_kits_stocked(conn, kit_lots_held),
        )
    return trace_of(donation_id, reading)


def donation_offsets(engine: Engine, donation_id: str) -> dict[int, tuple[int, int]]:
    """Partition of the stock topic -> (first, last) offsets of the events that moved the
    donation's stock there (what a proof of its trace starts from)."""
    m = stock_movements
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.c.partition, func.min(m.c.offset), func.max(m.c.offset))
            .where(m.c.donation_id == donation_id)
            .group_by(m.c.partition)
        ).all()
    return {int(p): (int(first), int(last)) for p, first, last in rows}


def _handed(conn: Connection, which: Any, *first: Any) -> Sequence[Any]:
    """The lot distributions `which` selects: (`first` columns,) quantity, area, campaign,
    time and household."""
    ld, d = lot_distributions, distributions
    return conn.execute(
        select(
            *first,
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


def _kit_lots(conn: Connection, donation_id: str) -> dict[tuple[str, str, str], dict[str, int]]:
    """(kit item, lot, donated item) -> the donation's units of that item in the kit lot and
    the lot's kits, for the kit lots holding some of the donation."""
    kd, kl = kit_lot_donations, kit_lots
    rows = conn.execute(
        select(kd.c.kit_item_id, kd.c.lot, kd.c.item_id, kd.c.units, kl.c.kits)
        .select_from(kd.join(kl, and_(kl.c.kit_item_id == kd.c.kit_item_id, kl.c.lot == kd.c.lot)))
        .where(kd.c.donation_id == donation_id, kd.c.units != 0, kl.c.kits > 0)
    ).all()
    return {(kit, lot, item): {"units": int(units), "kits": int(kits)}
            for kit, lot, item, units, kits in rows}  # fmt: skip


def _kits_handed(conn: Connection, kits: list[KitLot]) -> list[Any]:
    """The distributions of those kit lots, each as ((kit, lot), kits handed, area, campaign,
    time, household)."""
    if not kits:
        return []
    ld = lot_distributions
    rows = _handed(conn, tuple_(ld.c.item_id, ld.c.lot).in_(kits), ld.c.item_id, ld.c.lot)
    return [((kit, lot), *rest) for kit, lot, *rest in rows]


def _kits_lost(conn: Connection, kits: list[KitLot]) -> dict[KitLot, int]:
    """Kits of those lots missing on the way or adjusted away (found ones count back)."""
    if not kits:
        return {}
    m, t = stock_movements, transfer_lines
    lost = dict.fromkeys(kits, 0)
    missing = conn.execute(
        select(t.c.item_id, t.c.lot, func.sum(t.c.missing))
        .where(tuple_(t.c.item_id, t.c.lot).in_(kits))
        .group_by(t.c.item_id, t.c.lot)
    ).all()
    adjusted = conn.execute(
        select(m.c.item_id, m.c.lot, func.sum(m.c.quantity))
        .where(tuple_(m.c.item_id, m.c.lot).in_(kits), m.c.kind.in_(LOSS_KINDS))
        .group_by(m.c.item_id, m.c.lot)
    ).all()
    for kit, lot, n in missing:
        lost[(kit, lot)] += int(n or 0)
    for kit, lot, n in adjusted:
        lost[(kit, lot)] -= int(n or 0)
    return lost


def _kits_in_transit(conn: Connection, kits: list[KitLot]) -> dict[KitLot, int]:
    """Kits of those lots on a transfer or a convoy: dispatched, not yet received, found
    missing or sent back."""
    if not kits:
        return {}
    t = transfer_lines
    moving = conn.execute(
        select(t.c.item_id, t.c.lot,
               func.sum(t.c.dispatched - t.c.received - t.c.missing - t.c.returned))
        .where(tuple_(t.c.item_id, t.c.lot).in_(kits))
        .group_by(t.c.item_id, t.c.lot)
    ).all()  # fmt: skip
    return {(kit, lot): int(n or 0) for kit, lot, n in moving}


def _kits_stocked(conn: Connection, kits: list[KitLot]) -> list[tuple[KitLot, str, int, int]]:
    """Each location that held kits of those lots: ((kit, lot), location, kits there now,
    kits assembled there)."""
    if not kits:
        return []
    m = stock_movements
    assembled = case((m.c.kind == "KitsAssembled", m.c.quantity), else_=0)
    rows = conn.execute(
        select(m.c.item_id, m.c.lot, m.c.location_id, func.sum(m.c.quantity),
               func.sum(assembled))
        .where(tuple_(m.c.item_id, m.c.lot).in_(kits))
        .group_by(m.c.item_id, m.c.lot, m.c.location_id)
        .order_by(m.c.location_id)
    ).all()  # fmt: skip
    return [((kit, lot), loc, int(n or 0), int(made or 0)) for kit, lot, loc, n, made in rows]
