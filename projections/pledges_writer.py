"""Pledges with what has arrived of each, cash donations with what purchases spent of them,
and the purchases themselves.

A pledge's events lie on its own partition, in order; a fulfilment carries the pledge's
total so far, so it is set, never added. A purchase carries what its donation holds after
it; purchases of one donation lie on the donation's partition, in order. So within a batch
the last figure for a pledge or a donation is the one that stands, and a batch is written as
one upsert per table, then one update per pledge or donation that changed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, update

from events.pledges import PledgeCancelled, PledgeFulfilmentRecorded, PledgeMade
from events.relief import CashDonationReceived, PurchaseRecorded
from projections.projection import Batch
from projections.sql import upsert
from projections.tables import cash_donations, pledges, purchases


class PledgesProjection:
    name: str = "pledges"
    streams: tuple[str, ...] = ("pledges", "donations")
    tables: tuple[Table, ...] = (pledges, cash_donations, purchases)
    keyed_by_event: bool = False
    write_only: bool = False
    reads_views: bool = False

    def apply(self, conn: Connection, batch: Batch, replay: bool = False) -> None:
        made: dict[str, dict[str, Any]] = {}
        changed: dict[str, dict[str, Any]] = {}  # pledge_id: received, cancelled_at
        cash: dict[str, dict[str, Any]] = {}
        bought: dict[str, dict[str, Any]] = {}
        remaining: dict[str, int] = {}  # donation_id: what its last purchase left
        for applied in batch:
            event, when = applied.event, applied.occurred_at
            if isinstance(event, PledgeMade):
                row = event.model_dump(
                    include={"pledge_id", "donor_id", "item_id", "currency", "due_on"}
                )
                made[event.pledge_id] = row | {
                    "pledged": event.pledged, "received": 0, "made_at": when, "cancelled_at": None
                }  # fmt: skip
            elif isinstance(event, PledgeFulfilmentRecorded):
                changed.setdefault(event.pledge_id, {})["received"] = event.received
            elif isinstance(event, PledgeCancelled):
                changed.setdefault(event.pledge_id, {})["cancelled_at"] = when
            elif isinstance(event, CashDonationReceived):
                cash[event.donation_id] = event.model_dump() | {"spent": 0, "received_at": when}
            elif isinstance(event, PurchaseRecorded):
                row = event.model_dump(exclude={"lot", "expires_on", "remaining"})
                bought[event.purchase_id] = row | {"purchased_at": when}
                remaining[event.donation_id] = event.remaining
        if made:
            upsert(conn, pledges, list(made.values()), ["pledge_id"])
        for pledge_id, values in changed.items():
            conn.execute(update(pledges).where(pledges.c.pledge_id == pledge_id).values(**values))
        if cash:
            upsert(conn, cash_donations, list(cash.values()), ["donation_id"])
        if bought:
            upsert(conn, purchases, list(bought.values()), ["purchase_id"])
        for donation_id, left in remaining.items():
            conn.execute(
                update(cash_donations)
                .where(cash_donations.c.donation_id == donation_id)
                .values(spent=cash_donations.c.amount - left)
            )
