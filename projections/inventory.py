"""Inventory as a pure fold: what each stock event does to lots and to the stock card."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import singledispatch
from typing import NamedTuple
from uuid import UUID

from events import Envelope, Event
from events.stock import (
    StockAdjusted,
    StockCounted,
    StockDistributed,
    StockEntryVoided,
    StockReceived,
    TransferDispatched,
    TransferReceived,
    TransferReturned,
)


class LotKey(NamedTuple):  # a tuple: no setattr per field, hashed in C; several per event
    location_id: str
    item_id: str
    lot: str


class LotChange(NamedTuple):
    """On-hand of one lot moves by `delta`; `reference_id` and `reason` explain why."""

    key: LotKey
    expires_on: date | None
    delta: int
    reference_id: str = ""
    reason: str | None = None
    donation_id: str | None = None


@dataclass(frozen=True)
class Movement:
    """One line of a stock card."""

    event_id: UUID
    line: int
    change: LotChange
    kind: str
    occurred_at: datetime
    actor: str


def movements(event: Event, envelope: Envelope) -> list[Movement]:
    """The stock-card lines an event writes: one per lot change."""
    return [
        Movement(
            envelope.event_id,
            i,
            change,
            envelope.type,
            envelope.occurred_at,
            envelope.actor.user_id,
        )
        for i, change in enumerate(lot_changes(event))
    ]


@dataclass(frozen=True)
class LotBalance:
    expires_on: date | None
    on_hand: int


Inventory = dict[LotKey, LotBalance]


@singledispatch
def lot_changes(event: Event) -> list[LotChange]:
    """Events that do not move stock change nothing."""
    return []


@lot_changes.register
def _(event: StockReceived) -> list[LotChange]:
    key = LotKey(event.location_id, event.item_id, event.lot)
    return [
        LotChange(
            key, event.expires_on, event.quantity, event.receipt_id, "received", event.donation_id
        )
    ]


@lot_changes.register
def _(event: TransferDispatched) -> list[LotChange]:
    return [
        LotChange(
            LotKey(event.from_location_id, ln.item_id, ln.lot),
            ln.expires_on,
            -ln.quantity,
            event.transfer_id,
            f"to {event.to_location_id}",
            ln.donation_id,
        )
        for ln in event.lines
    ]


@lot_changes.register
def _(event: TransferReceived) -> list[LotChange]:
    return [
        LotChange(
            LotKey(event.to_location_id, ln.item_id, ln.lot),
            ln.expires_on,
            ln.quantity,
            event.transfer_id,
            f"from {event.from_location_id}",
            ln.donation_id,
        )
        for ln in event.lines
    ]


@lot_changes.register
def _(event: TransferReturned) -> list[LotChange]:
    return [
        LotChange(
            LotKey(event.from_location_id, ln.item_id, ln.lot),
            ln.expires_on,
            ln.quantity,
            event.transfer_id,
            event.reason,
            ln.donation_id,
        )
        for ln in event.lines
    ]


@lot_changes.register
def _(event: StockAdjusted) -> list[LotChange]:
    key = LotKey(event.location_id, event.item_id, event.lot)
    return [
        LotChange(
            key,
            event.expires_on,
            event.quantity,
            event.adjustment_id,
            event.reason,
            event.donation_id,
        )
    ]


@lot_changes.register
def _(event: StockCounted) -> list[LotChange]:
    key = LotKey(event.location_id, event.item_id, event.lot)
    return [
        LotChange(
            key,
            event.expires_on,
            event.variance,
            event.count_id,
            f"count: {event.counted_quantity}",
            event.donation_id,
        )
    ]


@lot_changes.register
def _(event: StockDistributed) -> list[LotChange]:
    key = LotKey(event.location_id, event.item_id, event.lot)
    return [
        LotChange(
            key,
            event.expires_on,
            -event.quantity,
            event.distribution_id,
            f"campaign {event.campaign_id}",
            event.donation_id,
        )
    ]


@lot_changes.register
def _(event: StockEntryVoided) -> list[LotChange]:
    return [
        LotChange(
            LotKey(event.location_id, ln.item_id, ln.lot),
            ln.expires_on,
            ln.quantity,
            event.entry_id,
            event.reason,
            ln.donation_id,
        )
        for ln in event.lines
    ]


def net_changes(changes: Iterable[LotChange]) -> dict[LotKey, LotChange]:
    """Sum the changes per lot, so a batch needs one write per lot."""
    net: dict[LotKey, LotChange] = {}
    for change in changes:
        previous = net.get(change.key)
        if previous is None:
            net[change.key] = LotChange(change.key, change.expires_on, change.delta)
        else:
            expiry = previous.expires_on or change.expires_on
            net[change.key] = LotChange(change.key, expiry, previous.delta + change.delta)
    return net


def fold(state: Inventory, stream: Iterable[tuple[Envelope, Event]]) -> Inventory:
    """Apply events to an inventory, returning the new inventory."""
    result = dict(state)
    for _, event in stream:
        for change in lot_changes(event):
            current = result.get(change.key, LotBalance(change.expires_on, 0))
            result[change.key] = LotBalance(
                current.expires_on or change.expires_on, current.on_hand + change.delta
            )
    return result


# Kits assembled and broken up move lots too; their changes register on `lot_changes`.
from projections import kit_changes  # noqa: E402, F401
