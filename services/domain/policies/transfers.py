"""When a transfer is cancelled at its destination, its stock goes back to its origin.

The ReturnTransfer's id derives from the transfer, so reacting again to the cancellation
(after a crash) gets the return already recorded, never a second one.
"""

from __future__ import annotations

from events import Envelope
from events.stock import TransferCancelled
from services.domain.policies import Sent, caused_by
from services.domain.stock.commands import ReturnTransfer


def return_stock(event: TransferCancelled, envelope: Envelope) -> Sent:
    """The origin's stock command that follows from a cancelled transfer."""
    command = ReturnTransfer(
        transfer_id=event.transfer_id,
        from_location_id=event.from_location_id,
        to_location_id=event.to_location_id,
        lines=event.lines,
        reason=event.reason,
    )
    return caused_by(command, envelope, event.transfer_id)
