"""Writes the inventory fold's changes: lots on hand, stock-card lines, transfers, thresholds."""

from __future__ import annotations

from sqlalchemy import Connection, Table

from projections.inventory import lot_changes, movements, net_changes
from projections.projection import Batch
from projections.sql import insert_ignoring_duplicates, upsert
from projections.tables import (
    inventory_lots,
    lot_distributions,
    stock_movements,
    stock_thresholds,
    transfer_lines,
    transfers,
)
from projections.transfers_writer import (
    write_lot_distributions,
    write_thresholds,
    write_transfers,
)
from projections.writer_types import utc


class InventoryProjection:
    name: str = "inventory"
    streams: tuple[str, ...] = ("stock",)
    tables: tuple[Table, ...] = (
        inventory_lots,
        stock_movements,
        transfers,
        transfer_lines,
        stock_thresholds,
        lot_distributions,
    )

    def apply(self, conn: Connection, batch: Batch) -> None:
        _write_lots(conn, batch)
        _write_card(conn, batch)
        write_transfers(conn, batch)
        write_thresholds(conn, batch)
        write_lot_distributions(conn, batch)


def _write_lots(conn: Connection, batch: Batch) -> None:
    changes = net_changes(c for a in batch for c in lot_changes(a.event))
    rows = [
        {
            "location_id": c.key.location_id,
            "item_id": c.key.item_id,
            "lot": c.key.lot,
            "expires_on": c.expires_on,
            "on_hand": c.delta,
        }
        for c in changes.values()
    ]
    upsert(
        conn,
        inventory_lots,
        rows,
        ["location_id", "item_id", "lot"],
        add=["on_hand"],
        keep_first=["expires_on"],
    )


def _write_card(conn: Connection, batch: Batch) -> None:
    rows = [
        {
            "event_id": m.event_id,
            "line": m.line,
            "partition": a.partition,
            "offset": a.offset,
            "location_id": m.change.key.location_id,
            "item_id": m.change.key.item_id,
            "lot": m.change.key.lot,
            "kind": m.kind,
            "quantity": m.change.delta,
            "reference_id": m.change.reference_id,
            "reason": m.change.reason,
            "donation_id": m.change.donation_id,
            "occurred_at": utc(m.occurred_at),
            "actor": m.actor,
        }
        for a in batch
        for m in movements(a.event, a.envelope)
    ]
    insert_ignoring_duplicates(conn, stock_movements, rows, ["event_id", "line"])
