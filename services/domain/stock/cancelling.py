"""A transfer cancelled on its way: the destination's writer refuses it for good (no receipt
can follow), then the origin's writer puts its lots back (asked by a policy)."""

from __future__ import annotations

from datetime import datetime

from events import Event
from events.stock import TransferCancelled, TransferReturned
from services.domain.decisions import Refused
from services.domain.stock.commands import CancelTransfer, ReturnTransfer
from services.domain.stock.state import LocationStock


def cancel(state: LocationStock, command: CancelTransfer, now: datetime) -> list[Event]:
    """Decided by the destination, the only writer that could still receive it."""
    if command.transfer_id in state.received_transfers:
        raise Refused(
            "already_received",
            f"transfer {command.transfer_id!r} was received: return it with a new transfer",
            transfer_id=command.transfer_id,
        )
    if command.transfer_id in state.cancelled_transfers:
        raise Refused(
            "already_cancelled",
            f"transfer {command.transfer_id!r} is already cancelled",
            transfer_id=command.transfer_id,
        )
    return [
        TransferCancelled(
            transfer_id=command.transfer_id,
            from_location_id=command.from_location_id,
            to_location_id=command.to_location_id,
            lines=command.dispatched,
            reason=command.reason,
        )
    ]


def give_back(state: LocationStock, command: ReturnTransfer, now: datetime) -> list[Event]:
    """Decided by the origin: once, and only for a transfer it dispatched."""
    if command.transfer_id not in state.dispatched_transfers:
        raise Refused(
            "unknown_transfer",
            f"{command.from_location_id} never dispatched transfer {command.transfer_id!r}",
            transfer_id=command.transfer_id,
        )
    if command.transfer_id in state.returned_transfers:
        raise Refused(
            "already_returned",
            f"transfer {command.transfer_id!r} is already back",
            transfer_id=command.transfer_id,
        )
    return [TransferReturned(**command.model_dump())]
