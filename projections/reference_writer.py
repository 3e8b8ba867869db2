"""Locations and items, as registered."""

from __future__ import annotations

from sqlalchemy import Connection, Table

from events.households import CampaignOpened
from events.reference import ItemDefined, LocationRegistered
from projections.projection import Batch
from projections.sql import upsert
from projections.tables import campaigns, items, locations


class ReferenceProjection:
    name: str = "reference"
    streams: tuple[str, ...] = ("reference",)
    tables: tuple[Table, ...] = (locations, items, campaigns)

    def apply(self, conn: Connection, batch: Batch) -> None:
        events = [a.event for a in batch]
        location_rows = [e.model_dump() for e in events if isinstance(e, LocationRegistered)]
        item_rows = [e.model_dump() for e in events if isinstance(e, ItemDefined)]
        upsert(conn, locations, _first_per_key(location_rows, "location_id"), ["location_id"])
        upsert(conn, items, _first_per_key(item_rows, "item_id"), ["item_id"])
        campaign_rows = [e.model_dump() for e in events if isinstance(e, CampaignOpened)]
        upsert(conn, campaigns, _first_per_key(campaign_rows, "campaign_id"), ["campaign_id"])


def _first_per_key(rows: list[dict], key: str) -> list[dict]:
    """A place or item is defined by its first registration; later ones cannot change it."""
    first: dict[str, dict] = {}
    for row in rows:
        first.setdefault(row[key], row)
    return list(first.values())
