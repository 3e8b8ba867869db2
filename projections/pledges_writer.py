"""Pledges with what has arrived of each, cash donations with what purchases spent of them,
and the purchases themselves.

A pledge's events lie on its own partition, in order; a fulfilment carries the pledge's
total so far, so it is set, never added. A purchase carries what its donation holds after
it; purchases of one donation lie on the donation's partition, in order.
"""

from __future__ import annotations

from datetime import datetime

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

    def apply(self, conn: Connection, batch: Batch) -> None:
        for applied in batch:
            _apply(conn, applied.event, applied.occurred_at)


def _apply(conn: Connection, event: object, when: datetime) -> None:
    if isinstance(event, PledgeMade):
        row = event.model_dump(include={"pledge_id", "donor_id", "item_id", "currency", "due_on"})
        row |= {"pledged": event.pledged, "received": 0, "made_at": when, "cancelled_at": None}
        upsert(conn, pledges, [row], ["pledge_id"])
    elif isinstance(event, PledgeFulfilmentRecorded):
        _pledge(conn, event.pledge_id, received=event.received)
    elif isinstance(event, PledgeCancelled):
        _pledge(conn, event.pledge_id, cancelled_at=when)
    elif isinstance(event, CashDonationReceived):
        row = event.model_dump() | {"spent": 0, "received_at": when}
        upsert(conn, cash_donations, [row], ["donation_id"])
    elif isinstance(event, PurchaseRecorded):
        row = event.model_dump(exclude={"lot", "expires_on", "remaining"})
        upsert(conn, purchases, [row | {"purchased_at": when}], ["purchase_id"])
        conn.execute(
            update(cash_donations)
            .where(cash_donations.c.donation_id == event.donation_id)
            .values(spent=cash_donations.c.amount - event.remaining)
        )


def _pledge(conn: Connection, pledge_id: str, **values: object) -> None:
    conn.execute(update(pledges).where(pledges.c.pledge_id == pledge_id).values(**values))
