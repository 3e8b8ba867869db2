"""Transfers in transit and received, and the low-stock thresholds coordinators set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, update

from events.stock import (
    StockDistributed,
    StockDistributionVoided,
    StockThresholdSet,
    TransferCancelled,
    TransferDiscrepancyRecorded,
    TransferDispatched,
    TransferLine,
    TransferReceived,
    TransferReturned,
)
from projections.projection import Batch
from projections.sql import Target, upsert
from projections.tables import lot_distributions, stock_thresholds, transfer_lines, transfers


def write_transfers(conn: Target, batch: Batch) -> None:
    """A transfer's dispatch travels on the origin's partition and its receipt on the
    destination's, so either may be projected first: each side upserts the part of the row
    it knows, and every arrival order ends in the same rows."""
    dispatched, received, called_back, lines = [], [], [], []
    for applied in batch:
        event = applied.event
        if isinstance(event, TransferDispatched):
            dispatched.append(_transfer(event, "in_transit", dispatched_at=applied.occurred_at))
            lines += [_line(event.transfer_id, ln, dispatched=ln.quantity) for ln in event.lines]
        elif isinstance(event, TransferReceived):
            received.append(_transfer(event, "received", received_at=applied.occurred_at))
            lines += [_line(event.transfer_id, ln, received=ln.quantity) for ln in event.lines]
        elif isinstance(event, TransferDiscrepancyRecorded):
            lines.append(_line(event.transfer_id, event, missing=event.missing))
        elif isinstance(event, TransferCancelled | TransferReturned):
            called_back.append(event)
            if isinstance(event, TransferReturned):
                lines += [_line(event.transfer_id, ln, returned=ln.quantity) for ln in event.lines]
    keys = ["transfer_id"]
    upsert(conn, transfers, dispatched, keys, keep_first=["dispatched_at", "requisition_id"])
    upsert(
        conn,
        transfers,
        received,
        keys,
        replace=["status"],
        keep_first=["received_at", "requisition_id"],
    )
    upsert(
        conn,
        transfer_lines,
        lines,
        ["transfer_id", "item_id", "lot"],
        add=["dispatched", "received", "missing", "returned"],
        keep_first=["expires_on", "donation_id"],
    )
    _called_back(conn, called_back)


def _called_back(conn: Target, events: list[TransferCancelled | TransferReturned]) -> None:
    """Cancelled (the destination's partition) and returned (the origin's) may be projected
    in either order: `returned` wins, so every order ends in the same status."""
    for event in events:
        status = "returned" if isinstance(event, TransferReturned) else "cancelled"
        upsert(conn, transfers, [_transfer(event, status)], ["transfer_id"])  # if first
        stmt = update(transfers).where(transfers.c.transfer_id == event.transfer_id)
        if status == "cancelled":
            stmt = stmt.where(transfers.c.status != "returned")
        conn.execute(stmt.values(status=status))


def _transfer(
    event: TransferDispatched | TransferReceived | TransferCancelled | TransferReturned,
    status: str,
    *,
    dispatched_at: datetime | None = None,
    received_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "transfer_id": event.transfer_id,
        "from_location_id": event.from_location_id,
        "to_location_id": event.to_location_id,
        "deployment_id": getattr(event, "deployment_id", None),  # none when called back
        "requisition_id": getattr(event, "requisition_id", None),
        "status": status,
        "dispatched_at": dispatched_at,
        "received_at": received_at,
    }


def _line(
    transfer_id: str,
    line: TransferLine | TransferDiscrepancyRecorded,
    *,
    dispatched: int = 0,
    received: int = 0,
    missing: int = 0,
    returned: int = 0,
) -> dict[str, Any]:
    return {
        "transfer_id": transfer_id,
        "item_id": line.item_id,
        "lot": line.lot,
        "expires_on": line.expires_on,
        "donation_id": line.donation_id,
        "dispatched": dispatched,
        "received": received,
        "missing": missing,
        "returned": returned,
    }


def write_thresholds(conn: Target, batch: Batch) -> None:
    rows = {
        (e.location_id, e.item_id): {
            "location_id": e.location_id,
            "item_id": e.item_id,
            "minimum": e.minimum,
        }
        for e in (a.event for a in batch)
        if isinstance(e, StockThresholdSet)
    }
    upsert(
        conn, stock_thresholds, list(rows.values()), ["location_id", "item_id"], replace=["minimum"]
    )


def write_lot_distributions(conn: Target, batch: Batch) -> None:
    """Which lots (so which donations) each distribution consumed, where and for which campaign;
    a voided distribution consumed nothing."""
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
    # a void follows its distribution on the site's partition: written above or before
    voided = [a.event.entry_id for a in batch if isinstance(a.event, StockDistributionVoided)]
    if voided:
        conn.execute(
            delete(lot_distributions).where(lot_distributions.c.distribution_id.in_(voided))
        )
