"""Goods bought with a cash donation are a stock receipt at their warehouse.

Every `PurchaseRecorded` becomes a ReceiveStock whose lot carries the cash donation's id, so
the donor trace follows the money into goods and on to households. Its id derives from the
purchase, so reacting again gets the recorded receipt, never a second one.
"""

from __future__ import annotations

from events import Envelope
from events.relief import PurchaseRecorded
from services.domain.policies import Sent, caused_by
from services.domain.stock.commands import ReceiveStock


def receipt_id(purchase_id: str) -> str:
    """The id of the receipt command a purchase causes (what a use case may watch)."""
    return f"{ReceiveStock.TYPE}:purchase:{purchase_id}"


def receive_stock(event: PurchaseRecorded, envelope: Envelope) -> Sent:
    command = ReceiveStock(
        receipt_id=event.purchase_id,
        location_id=event.location_id,
        item_id=event.item_id,
        quantity=event.quantity,
        lot=event.lot,
        expires_on=event.expires_on,
        donation_id=event.donation_id,
    )
    return caused_by(command, envelope, f"purchase:{event.purchase_id}")
