"""Locations (placed since), items, campaigns (extended, closed or moved to other areas
since), operations (closed since) and donors, as registered."""

from __future__ import annotations

from sqlalchemy import Connection, Table, select, update

from events import Event
from events.households import (
    CampaignAreasChanged,
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
)
from events.kits import KitCompositionSet
from events.reference import ItemDefined, LocationCoordinatesSet, LocationRegistered
from events.relief import DonorRegistered, OperationClosed, OperationOpened
from projections.projection import Batch
from projections.sql import insert_ignoring_duplicates, upsert
from projections.tables import campaigns, donors, items, kit_components, locations, operations


class ReferenceProjection:
    name: str = "reference"
    streams: tuple[str, ...] = ("reference",)
    tables: tuple[Table, ...] = (locations, items, campaigns, operations, donors, kit_components)
    keyed_by_event: bool = False
    write_only: bool = False
    reads_views: bool = True

    def apply(self, conn: Connection, batch: Batch, replay: bool = False) -> None:
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
        for event in events:  # after the registrations: each follows its own, in order
            _follow(conn, event)
        _write_compositions(conn, [e for e in events if isinstance(e, KitCompositionSet)])


def _follow(conn: Connection, event: Event) -> None:
    """A location placed, a campaign extended, closed or moved, an operation closed: its row
    follows."""
    if isinstance(event, LocationCoordinatesSet):
        place = {"latitude": event.latitude, "longitude": event.longitude}
        conn.execute(
            update(locations).where(locations.c.location_id == event.location_id).values(**place)
        )
    elif isinstance(event, CampaignExtended | CampaignClosed | CampaignAreasChanged):
        _change_campaign(conn, event)
    elif isinstance(event, OperationClosed):
        o = operations.c
        conn.execute(
            update(operations)
            .where(o.operation_id == event.operation_id)
            .values(closed_on=event.closed_on)
        )


def _change_campaign(
    conn: Connection, event: CampaignExtended | CampaignClosed | CampaignAreasChanged
) -> None:
    c = campaigns.c
    changed: dict[str, object]
    if isinstance(event, CampaignExtended):
        changed = {"ends_on": event.ends_on}
    elif isinstance(event, CampaignClosed):
        changed = {"closed_on": event.closed_on}
    else:
        before = conn.execute(select(c.area_changes).where(c.campaign_id == event.campaign_id))
        change = event.model_dump(
            mode="json", include={"effective_on", "region_codes", "previous_region_codes"}
        )
        changed = {
            "region_codes": event.region_codes,
            "area_changes": [*(before.scalar() or []), change],
        }
    conn.execute(update(campaigns).where(c.campaign_id == event.campaign_id).values(**changed))


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
