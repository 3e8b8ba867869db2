"""A donation received is a stock receipt at its warehouse: a policy from one writer to another.

Every `DonationReceived` becomes a ReceiveStock for the warehouse, whose lots carry the
donation id. Its id derives from the donation (one event per donation), so a policy run
again after a crash gets the recorded receipt, never a second one.
"""

from __future__ import annotations

from events import Envelope
from events.relief import DonationReceived
from services.command_bus import CommandBus
from services.commands import CommandEnvelope
from services.stock.commands import ReceiveStock


def receipt_id(donation_id: str) -> str:
    """The id of the receipt command a donation causes (what a route may watch)."""
    return f"{ReceiveStock.TYPE}:{donation_id}"


def receive_stock(
    event: DonationReceived, envelope: Envelope
) -> tuple[ReceiveStock, CommandEnvelope] | None:
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
    sent = CommandEnvelope.of(
        command,
        event.donation_id,
        envelope.actor,
        envelope.occurred_at,
        correlation_id=envelope.correlation_id,
    )
    return command, sent


async def receive_donation(bus: CommandBus, envelope: Envelope, event: DonationReceived) -> None:
    """Receive the donation's stock (and wait for the warehouse to have recorded it)."""
    receipt = receive_stock(event, envelope)
    if receipt is not None:
        await bus.send(*receipt)
