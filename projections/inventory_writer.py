"""Writes the inventory fold's changes: lots on hand and stock-card lines."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import Connection, Table

from projections.inventory import lot_changes, movements, net_changes
from projections.projection import Batch
from projections.sql import insert_ignoring_duplicates, upsert
from projections.tables import inventory_lots, stock_movements


class InventoryProjection:
    name: str = "inventory"
    streams: tuple[str, ...] = ("stock",)
    tables: tuple[Table, ...] = (inventory_lots, stock_movements)

    def apply(self, conn: Connection, batch: Batch) -> None:
        changes = net_changes(c for env, ev in batch for c in lot_changes(ev, env))
        lot_rows = [
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
            lot_rows,
            ["location_id", "item_id", "lot"],
            add=["on_hand"],
            keep_first=["expires_on"],
        )
        movement_rows = [
            {
                "event_id": m.event_id,
                "location_id": m.key.location_id,
                "item_id": m.key.item_id,
                "lot": m.key.lot,
                "kind": m.kind,
                "quantity": m.quantity,
                "reference_id": m.reference_id,
                "occurred_at": m.occurred_at.astimezone(UTC),
                "actor": m.actor,
            }
            for env, ev in batch
            for m in movements(ev, env)
        ]
        insert_ignoring_duplicates(conn, stock_movements, movement_rows, ["event_id"])
