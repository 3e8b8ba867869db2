"""Locations, items, campaigns (extended or closed since), operations (closed since) and
donors, as registered."""

from __future__ import annotations

from sqlalchemy import Connection, Table, update

from events.households import CampaignClosed, CampaignExtended, CampaignOpened
from events.kits import KitCompositionSet
from events.reference import ItemDefined, LocationRegistered
from events.relief import DonorRegistered, OperationClosed, OperationOpened
from projections.projection import Batch
from projections.sql import insert_ignoring_duplicates, upsert
from projections.tables import campaigns, donors, items, kit_components, locations, operations


class ReferenceProjection:
    name: str = "reference"
    streams: tuple[str, ...] = ("reference",)
    tables: tuple[Table, ...] = (locations, items, campaigns, operations, donors, kit_components)

    def apply(self, conn: Connection, batch: Batch) -> None:
        events = [a.event for a in batch]
        location_rows = [e.model_dump() for e in events if isinstance(e, LocationRegistered)]
        item_rows = [e.model_dump() for e in events if isinstance(e, ItemDefined)]
        upsert(conn, locations, _first_per_key(location_rows, "location_id"), ["location_id"])
        upsert(conn, items, _first_per_key(item_rows, "item_id"), ["item_id"])
        for kind, table, key in (
            (CampaignOpened, campaigns, "campaign_id"),
            (OperationOpened, operations, "operation_id"),
            (DonorRegistered, donors, "donor_id"),
        ):
            rows = [e.model_dump() for e in events if isinstance(e, kind)]
            upsert(conn, table, _first_per_key(rows, key), [key])
        for event in events:  # after the openings: each follows its opening, in order
            _write_end(conn, event)
        _write_compositions(conn, [e for e in events if isinstance(e, KitCompositionSet)])


def _write_end(conn: Connection, event: object) -> None:
    """A campaign extended or closed, an operation closed."""
    if isinstance(event, CampaignExtended):
        conn.execute(
            update(campaigns)
            .where(campaigns.c.campaign_id == event.campaign_id)
            .values(ends_on=event.ends_on)
        )
    elif isinstance(event, CampaignClosed):
        conn.execute(
            update(campaigns)
            .where(campaigns.c.campaign_id == event.campaign_id)
            .values(closed_on=event.closed_on)
        )
    elif isinstance(event, OperationClosed):
        conn.execute(
            update(operations)
            .where(operations.c.operation_id == event.operation_id)
            .values(closed_on=event.closed_on)
        )


def _write_compositions(conn: Connection, sets: list[KitCompositionSet]) -> None:
    """Each version once: a version already written is never rewritten."""
    rows = {
        (e.kit_item_id, e.version, c.item_id): {
            "kit_item_id": e.kit_item_id, "version": e.version,
            "item_id": c.item_id, "quantity": c.quantity,
        }
        for e in sets
        for c in e.components
    }  # fmt: skip
    keys = ["kit_item_id", "version", "item_id"]
    insert_ignoring_duplicates(conn, kit_components, list(rows.values()), keys)


def _first_per_key(rows: list[dict], key: str) -> list[dict]:
    """A place or item is defined by its first registration; later ones cannot change it."""
    first: dict[str, dict] = {}
    for row in rows:
        first.setdefault(row[key], row)
    return list(first.values())
