"""Transfers in transit and received, and the low-stock thresholds coordinators set."""

from __future__ import annotations

from sqlalchemy import Connection, update

from events.stock import (
    StockDistributed,
    StockThresholdSet,
    TransferDiscrepancyRecorded,
    TransferDispatched,
    TransferReceived,
)
from projections.projection import Batch
from projections.sql import upsert
from projections.tables import lot_distributions, stock_thresholds, transfer_lines, transfers
from projections.writer_types import utc


def write_transfers(conn: Connection, batch: Batch) -> None:
    for applied in batch:
        event, when = applied.event, utc(applied.envelope.occurred_at)
        if isinstance(event, TransferDispatched):
            _dispatched(conn, event, when)
        elif isinstance(event, TransferReceived):
            conn.execute(
                update(transfers)
                .where(transfers.c.transfer_id == event.transfer_id)
                .values(status="received", received_at=when)
            )
            for line in event.lines:
                _add_to_line(
                    conn, event.transfer_id, line.item_id, line.lot, received=line.quantity
                )
        elif isinstance(event, TransferDiscrepancyRecorded):
            _add_to_line(conn, event.transfer_id, event.item_id, event.lot, missing=event.missing)


def _dispatched(conn: Connection, event: TransferDispatched, when: object) -> None:
    upsert(
        conn,
        transfers,
        [
            {
                "transfer_id": event.transfer_id,
                "from_location_id": event.from_location_id,
                "to_location_id": event.to_location_id,
                "deployment_id": event.deployment_id,
                "status": "in_transit",
                "dispatched_at": when,
                "received_at": None,
            }
        ],
        ["transfer_id"],
    )
    rows = [
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
    upsert(conn, transfer_lines, rows, ["transfer_id", "item_id", "lot"], add=["dispatched"])


def _add_to_line(
    conn: Connection, transfer_id: str, item_id: str, lot: str, received: int = 0, missing: int = 0
) -> None:
    t = transfer_lines
    conn.execute(
        update(t)
        .where(t.c.transfer_id == transfer_id, t.c.item_id == item_id, t.c.lot == lot)
        .values(received=t.c.received + received, missing=t.c.missing + missing)
    )


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
        a.event.model_dump(exclude={"expires_on"}) | {"occurred_at": utc(a.envelope.occurred_at)}
        for a in batch
        if isinstance(a.event, StockDistributed)
    ]
    upsert(conn, lot_distributions, rows, ["distribution_id", "lot"])
