"""Kit lots and what they hold of each donation, from assemblies and break-ups.

Counts are added, never set, so the rows are the same whatever the order in which the
partitions of a kit lot's assembly and of its break-up elsewhere (after a transfer) arrive."""

from __future__ import annotations

from typing import Any

from events.kits import KitsAssembled, KitsDisassembled
from projections.projection import Batch
from projections.sql import Target, upsert
from projections.tables import kit_lot_donations, kit_lots


def write_kit_contents(conn: Target, batch: Batch) -> None:
    lots: list[dict[str, Any]] = []
    donated: list[dict[str, Any]] = []
    for applied in batch:
        event = applied.event
        if not isinstance(event, KitsAssembled | KitsDisassembled):
            continue
        sign = 1 if isinstance(event, KitsAssembled) else -1
        kit = {"kit_item_id": event.kit_item_id, "lot": event.lot}
        lots.append(kit | {"kits": sign * event.quantity})
        donated += [
            kit | {"donation_id": ln.donation_id, "item_id": ln.item_id,
                   "units": sign * ln.quantity}
            for ln in event.components
            if ln.donation_id
        ]  # fmt: skip
    upsert(conn, kit_lots, lots, ["kit_item_id", "lot"], add=["kits"])
    keys = ["kit_item_id", "lot", "donation_id", "item_id"]
    upsert(conn, kit_lot_donations, donated, keys, add=["units"])
