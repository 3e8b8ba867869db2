"""A donation received is a stock receipt at its warehouse.

Every `DonationReceived` becomes a ReceiveStock for the warehouse, whose lots carry the
donation id. Its id derives from the donation (one event per donation), so reacting again
gets the recorded receipt, never a second one.
"""

from __future__ import annotations

from events import Envelope
from events.relief import DonationReceived
from services.domain.policies import Sent, caused_by
from services.domain.stock.commands import ReceiveStock


def receipt_id(donation_id: str) -> str:
    """The id of the receipt command a donation causes (what a use case may watch)."""
    return f"{ReceiveStock.TYPE}:{donation_id}"


def receive_stock(event: DonationReceived, envelope: Envelope) -> Sent | None:
    """The receipt that follows from a donation (None for one recorded before the policy)."""
    if event.lot is None:
        return None
    command = ReceiveStock(
        receipt_id=event.donation_id,
        location_id=event.location_id,
        item_id=event.item_id,
        quantity=event.quantity,
        lot=event.lot,
        expires_on=event.expires_on,
        donation_id=event.donation_id,
    )
    return caused_by(command, envelope, event.donation_id)
