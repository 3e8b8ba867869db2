"""Writes the inventory fold's changes: lots on hand, stock-card lines, the use per day,
transfers, thresholds."""

from __future__ import annotations

from sqlalchemy import Table

from projections.inventory import LotChange, lot_changes, net_changes
from projections.kit_writer import write_kit_contents
from projections.projection import Batch
from projections.sql import Target, insert_new, upsert
from projections.tables import (
    inventory_lots,
    kit_lot_donations,
    kit_lots,
    lot_distributions,
    stock_movements,
    stock_thresholds,
    stock_use_days,
    transfer_lines,
    transfers,
)
from projections.transfers_writer import (
    write_lot_distributions,
    write_thresholds,
    write_transfers,
)
from projections.writer_types import Applied

# What leaves a location for good (handed out, dispatched) and what undoes it: the use the
# months of stock counts.
USES = ("StockDistributed", "TransferDispatched", "StockDistributionVoided", "TransferReturned")


class InventoryProjection:
    name: str = "inventory"
    streams: tuple[str, ...] = ("stock",)
    tables: tuple[Table, ...] = (
        inventory_lots,
        stock_movements,
        stock_use_days,
        transfers,
        transfer_lines,
        stock_thresholds,
        lot_distributions,
        kit_lots,
        kit_lot_donations,
    )
    keyed_by_event: bool = False
    write_only: bool = True
    reads_views: bool = True

    def apply(self, conn: Target, batch: Batch, replay: bool = False) -> None:
        changes = [(a, lot_changes(a.event)) for a in batch]  # the fold runs once per event
        _write_lots(conn, [c for _, cs in changes for c in cs])
        _write_card(conn, changes)
        _write_use(conn, changes)
        write_transfers(conn, batch)
        write_thresholds(conn, batch)
        write_lot_distributions(conn, batch)
        write_kit_contents(conn, batch)


def _write_lots(conn: Target, changes: list[LotChange]) -> None:
    rows = [
        {
            "location_id": c.key.location_id,
            "item_id": c.key.item_id,
            "lot": c.key.lot,
            "expires_on": c.expires_on,
            "on_hand": c.delta,
        }
        for c in net_changes(changes).values()
    ]
    upsert(
        conn,
        inventory_lots,
        rows,
        ["location_id", "item_id", "lot"],
        add=["on_hand"],
        keep_first=["expires_on"],
    )


def _write_card(conn: Target, changes: list[tuple[Applied, list[LotChange]]]) -> None:
    """One stock-card line per lot change (see `inventory.movements`), built straight as rows."""
    rows = []
    for a, lot_changes_of_event in changes:
        if not lot_changes_of_event:
            continue
        envelope = a.envelope
        when, actor = a.occurred_at, envelope.actor.user_id
        rows += [
            {
                "event_id": envelope.event_id,
                "line": line,
                "partition": a.partition,
                "offset": a.offset,
                "location_id": c.key.location_id,
                "item_id": c.key.item_id,
                "lot": c.key.lot,
                "kind": envelope.type,
                "quantity": c.delta,
                "reference_id": c.reference_id,
                "reason": c.reason,
                "donation_id": c.donation_id,
                "occurred_at": when,
                "actor": actor,
            }
            for line, c in enumerate(lot_changes_of_event)
        ]
    insert_new(conn, stock_movements, rows)  # keyed by their new events' places in the log


def _write_use(conn: Target, changes: list[tuple[Applied, list[LotChange]]]) -> None:
    """Add each use to its location × item × day: a sum, so the order events arrive in does
    not change it; the applied-events guard keeps a redelivered event from counting twice."""
    rows = [
        {
            "location_id": c.key.location_id,
            "item_id": c.key.item_id,
            "day": a.occurred_at.date(),
            "used": -c.delta,
        }
        for a, lot_changes_of_event in changes
        if a.envelope.type in USES
        for c in lot_changes_of_event
    ]
    upsert(conn, stock_use_days, rows, ["location_id", "item_id", "day"], add=["used"])
