"""Transfers in transit and received, and the low-stock thresholds coordinators set."""

from __future__ import annotations

from sqlalchemy import Connection

from events.stock import (
    StockDistributed,
    StockThresholdSet,
    TransferDiscrepancyRecorded,
    TransferDispatched,
    TransferReceived,
)
from projections.projection import Batch
from projections.sql import update_rows, upsert
from projections.tables import lot_distributions, stock_thresholds, transfer_lines, transfers


def write_transfers(conn: Connection, batch: Batch) -> None:
    """Dispatches become rows first, then arrivals and shortfalls are added to them: a few
    statements per batch, in the order the events happened within each transfer."""
    dispatched = [a for a in batch if isinstance(a.event, TransferDispatched)]
    _dispatched(conn, dispatched)
    received: dict[str, object] = {}
    lines: dict[tuple[str, str, str], list[int]] = {}
    for applied in batch:
        event = applied.event
        if isinstance(event, TransferReceived):
            received[event.transfer_id] = applied.occurred_at
            for ln in event.lines:
                lines.setdefault((event.transfer_id, ln.item_id, ln.lot), [0, 0])[0] += ln.quantity
        elif isinstance(event, TransferDiscrepancyRecorded):
            key = (event.transfer_id, event.item_id, event.lot)
            lines.setdefault(key, [0, 0])[1] += event.missing
    _received(conn, received)
    _add_to_lines(conn, lines)


def _dispatched(conn: Connection, batch: Batch) -> None:
    transfer_rows, line_rows = [], []
    for applied in batch:
        event = applied.event
        assert isinstance(event, TransferDispatched)
        transfer_rows.append(
            {
                "transfer_id": event.transfer_id,
                "from_location_id": event.from_location_id,
                "to_location_id": event.to_location_id,
                "deployment_id": event.deployment_id,
                "status": "in_transit",
                "dispatched_at": applied.occurred_at,
                "received_at": None,
            }
        )
        line_rows += [
            {
                "transfer_id": event.transfer_id,
                "item_id": ln.item_id,
                "lot": ln.lot,
                "expires_on": ln.expires_on,
                "donation_id": ln.donation_id,
                "dispatched": ln.quantity,
                "received": 0,
                "missing": 0,
            }
            for ln in event.lines
        ]
    upsert(conn, transfers, transfer_rows, ["transfer_id"])
    upsert(conn, transfer_lines, line_rows, ["transfer_id", "item_id", "lot"], add=["dispatched"])


def _received(conn: Connection, received: dict[str, object]) -> None:
    rows = [
        {"transfer_id": k, "status": "received", "received_at": when}
        for k, when in received.items()
    ]
    update_rows(conn, transfers, rows, ["transfer_id"], replace=["status", "received_at"])


def _add_to_lines(conn: Connection, lines: dict[tuple[str, str, str], list[int]]) -> None:
    rows = [
        {"transfer_id": k[0], "item_id": k[1], "lot": k[2], "received": r, "missing": m}
        for k, (r, m) in lines.items()
    ]
    keys = ["transfer_id", "item_id", "lot"]
    update_rows(conn, transfer_lines, rows, keys, add=["received", "missing"])


def write_thresholds(conn: Connection, batch: Batch) -> None:
    rows = {
        (e.location_id, e.item_id): e.model_dump()
        for e in (a.event for a in batch)
        if isinstance(e, StockThresholdSet)
    }
    upsert(
        conn, stock_thresholds, list(rows.values()), ["location_id", "item_id"], replace=["minimum"]
    )


def write_lot_distributions(conn: Connection, batch: Batch) -> None:
    """Which lots (so which donations) each distribution consumed, where and for which campaign."""
    rows = [
        {
            "distribution_id": e.distribution_id,
            "lot": e.lot,
            "location_id": e.location_id,
            "item_id": e.item_id,
            "donation_id": e.donation_id,
            "quantity": e.quantity,
            "campaign_id": e.campaign_id,
            "region_code": e.region_code,
            "province_code": e.province_code,
            "occurred_at": a.occurred_at,
        }
        for a in batch
        if isinstance(e := a.event, StockDistributed)
    ]
    upsert(conn, lot_distributions, rows, ["distribution_id", "lot"])
