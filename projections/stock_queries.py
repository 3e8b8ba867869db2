"""Read-side queries about stock: cards, expiring lots, transfers, alert conditions."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Engine, Select, func, literal, select

from projections.paging import EVERYTHING, Page, Paging, Sort, read_page
from projections.queries import fetch_all, fetch_one
from projections.tables import (
    inventory_lots,
    stock_movements,
    stock_thresholds,
    stock_use_days,
    transfer_lines,
    transfers,
)

# A transfer whose receipt is projected before its dispatch sorts as the latest.
NOT_YET_DISPATCHED = literal(datetime(9999, 12, 31), DateTime)


# The entry each kind of void cancels (their stock-card lines share the entry's reference).
VOIDED_KIND = {
    "StockReceiptVoided": "StockReceived",
    "StockAdjustmentVoided": "StockAdjusted",
    "StockCountVoided": "StockCounted",
    "StockDistributionVoided": "StockDistributed",
}


def stock_card(engine: Engine, location_id: str, item_id: str, paging: Paging = EVERYTHING) -> Page:
    """Every movement of an item at a location, in log order, with the running balance (a
    page at a time); entries voided since are marked `voided` (they stay, their void follows
    them, maybe on a later page)."""
    m = stock_movements
    here = (m.c.location_id == location_id, m.c.item_id == item_id)
    balance = func.sum(m.c.quantity).over(order_by=(m.c.offset, m.c.line))
    card = select(m, balance.label("balance")).where(*here).subquery()
    order = (Sort(card.c.offset, "offset"), Sort(card.c.line, "line"))
    found = read_page(engine, select(card), order, paging)
    entries = {ln["reference_id"] for ln in found.items}
    voids = select(m.c.kind, m.c.reference_id).where(
        *here, m.c.kind.in_(VOIDED_KIND), m.c.reference_id.in_(entries)
    )
    voided = {(VOIDED_KIND[v["kind"]], v["reference_id"]) for v in fetch_all(engine, voids)}
    for line in found.items:
        line["voided"] = (line["kind"], line["reference_id"]) in voided
    return found


def entry_locations(engine: Engine, kind: str, entry_id: str) -> list[str]:
    """The locations where an entry (a receipt, adjustment or count: `kind` is its event
    type) with this id was recorded; ids are the location's own, so there may be several."""
    m = stock_movements
    stmt = (
        select(m.c.location_id)
        .where(m.c.reference_id == entry_id, m.c.kind == kind)
        .distinct()
        .order_by(m.c.location_id)
    )
    with engine.connect() as conn:
        return list(conn.scalars(stmt))


def expiring_lots(
    engine: Engine,
    today: date,
    within_days: int,
    location_ids: Collection[str] | None,
    paging: Paging = EVERYTHING,
) -> Page:
    """Lots with stock whose expiry falls within the coming days (or is past)."""
    lots = inventory_lots
    stmt = select(lots).where(
        lots.c.on_hand > 0, lots.c.expires_on <= today + timedelta(days=within_days)
    )
    if location_ids is not None:
        stmt = stmt.where(lots.c.location_id.in_(list(location_ids)))
    order = [Sort(lots.c[k], k) for k in ("expires_on", "location_id", "item_id", "lot")]
    return read_page(engine, stmt, order, paging)


def transfer_use(engine: Engine, transfer_id: str) -> dict[str, Any] | None:
    """The origin and the convoy (if any) of the transfer under this id, if it is used: one
    lookup by key, without the transfer's lines."""
    t = transfers
    stmt = select(t.c.from_location_id, t.c.deployment_id).where(t.c.transfer_id == transfer_id)
    return fetch_one(engine, stmt)


def transfer_list(
    engine: Engine,
    *,
    status: str | None = None,
    location_ids: Collection[str] | None = None,
    transfer_id: str | None = None,
    paging: Paging = EVERYTHING,
    to_location_ids: Collection[str] | None = None,
) -> Page:
    """Transfers with their lines, the latest dispatched first (those whose dispatch is not
    projected yet before them); `to_location_ids` keeps those going to these locations."""
    t = transfers
    sort_at = func.coalesce(t.c.dispatched_at, NOT_YET_DISPATCHED).label("sort_at")
    stmt = select(t, sort_at)
    if status:
        stmt = stmt.where(t.c.status == status)
    if transfer_id:
        stmt = stmt.where(t.c.transfer_id == transfer_id)
    if location_ids is not None:
        ids = list(location_ids)
        stmt = stmt.where(t.c.from_location_id.in_(ids) | t.c.to_location_id.in_(ids))
    if to_location_ids is not None:
        stmt = stmt.where(t.c.to_location_id.in_(list(to_location_ids)))
    latest_first = [
        Sort(sort_at, "sort_at", descending=True),
        Sort(t.c.transfer_id, "transfer_id", descending=True),
    ]
    page = read_page(engine, stmt, latest_first, paging)
    if not page.items:
        return page
    lines: dict[str, list[dict[str, Any]]] = {}
    for line in fetch_all(
        engine,
        select(transfer_lines).where(
            transfer_lines.c.transfer_id.in_([f["transfer_id"] for f in page.items])
        ),
    ):
        lines.setdefault(line["transfer_id"], []).append(line)
    for transfer in page.items:
        del transfer["sort_at"]
        transfer["lines"] = lines.get(transfer["transfer_id"], [])
    return page


def _on_hand_of_thresholds() -> tuple[Select[Any], ColumnElement[Any]]:
    """Each threshold set, with the total on hand of its location × item (0 when none), and
    that total as an expression to filter on."""
    th, lots = stock_thresholds, inventory_lots
    on_hand = (
        select(lots.c.location_id, lots.c.item_id, func.sum(lots.c.on_hand).label("on_hand"))
        .group_by(lots.c.location_id, lots.c.item_id)
        .subquery()
    )
    total = func.coalesce(on_hand.c.on_hand, 0)
    stmt = select(th.c.location_id, th.c.item_id, th.c.minimum, total.label("on_hand"))
    stmt = stmt.select_from(
        th.outerjoin(
            on_hand,
            (on_hand.c.location_id == th.c.location_id) & (on_hand.c.item_id == th.c.item_id),
        )
    )
    return stmt, total


def low_stock(engine: Engine, location_ids: Collection[str] | None) -> list[dict[str, Any]]:
    """Location × item pairs whose total on hand is below the threshold set for them."""
    th = stock_thresholds
    stmt, total = _on_hand_of_thresholds()
    stmt = stmt.where(total < th.c.minimum)
    if location_ids is not None:
        stmt = stmt.where(th.c.location_id.in_(list(location_ids)))
    return fetch_all(engine, stmt.order_by(th.c.location_id, th.c.item_id))


def thresholds(
    engine: Engine, location_ids: Collection[str] | None, paging: Paging = EVERYTHING
) -> Page:
    """Every low-stock threshold set, by location and item, with what is on hand."""
    th = stock_thresholds
    stmt, _ = _on_hand_of_thresholds()
    if location_ids is not None:
        stmt = stmt.where(th.c.location_id.in_(list(location_ids)))
    order = [Sort(th.c.location_id, "location_id"), Sort(th.c.item_id, "item_id")]
    found = read_page(engine, stmt, order, paging)
    return Page([r | {"on_hand": int(r["on_hand"])} for r in found.items], found.next)


def negative_stock(engine: Engine, location_ids: Collection[str] | None) -> list[dict[str, Any]]:
    """Location × item pairs whose recorded stock went below zero."""
    lots = inventory_lots
    total = func.sum(lots.c.on_hand)
    stmt = (
        select(lots.c.location_id, lots.c.item_id, total.label("on_hand"))
        .group_by(lots.c.location_id, lots.c.item_id)
        .having(total < 0)
    )
    if location_ids is not None:
        stmt = stmt.where(lots.c.location_id.in_(list(location_ids)))
    return fetch_all(engine, stmt)


def discrepancies(
    engine: Engine, since: datetime, location_ids: Collection[str] | None
) -> list[dict[str, Any]]:
    """Transfer lines where something went missing on the way, of the transfers received
    since a moment (naive UTC; read by the index on `received_at`)."""
    t, ln = transfers, transfer_lines
    stmt = (
        select(
            t.c.transfer_id,
            t.c.from_location_id,
            t.c.to_location_id,
            t.c.received_at,
            ln.c.item_id,
            ln.c.lot,
            ln.c.missing,
        )
        .join(ln, ln.c.transfer_id == t.c.transfer_id)
        .where(t.c.received_at >= since, ln.c.missing > 0)
    )
    if location_ids is not None:
        ids = list(location_ids)
        stmt = stmt.where(t.c.from_location_id.in_(ids) | t.c.to_location_id.in_(ids))
    return fetch_all(engine, stmt.order_by(t.c.received_at, t.c.transfer_id))


def used_and_on_hand(
    engine: Engine, since: date, location_ids: Collection[str] | None
) -> list[dict[str, Any]]:
    """Per location and item: units used from a day on (UTC, from the use kept per day: at
    most one row per day of the window) and on hand now."""
    d, lots = stock_use_days, inventory_lots
    used = select(d.c.location_id, d.c.item_id, func.sum(d.c.used).label("used")).where(
        d.c.day >= since
    )
    held = select(lots.c.location_id, lots.c.item_id, func.sum(lots.c.on_hand).label("on_hand"))
    if location_ids is not None:
        used = used.where(d.c.location_id.in_(list(location_ids)))
        held = held.where(lots.c.location_id.in_(list(location_ids)))
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for row in fetch_all(engine, held.group_by(lots.c.location_id, lots.c.item_id)):
        rows[(row["location_id"], row["item_id"])] = row | {"used": 0}
    for row in fetch_all(engine, used.group_by(d.c.location_id, d.c.item_id)):
        key = (row["location_id"], row["item_id"])
        rows[key] = rows.get(key, {"on_hand": 0} | row) | {"used": int(row["used"] or 0)}
    return list(rows.values())
