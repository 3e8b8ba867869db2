"""Inventory as a pure fold: what each event does to lots and to the stock card."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import singledispatch
from uuid import UUID

from events import Envelope, Event
from events.stock import StockReceived


@dataclass(frozen=True)
class LotKey:
    location_id: str
    item_id: str
    lot: str


@dataclass(frozen=True)
class LotChange:
    """On-hand of one lot moves by `delta`."""

    key: LotKey
    expires_on: date | None
    delta: int


@dataclass(frozen=True)
class Movement:
    """One line of a stock card."""

    event_id: UUID
    key: LotKey
    kind: str
    quantity: int
    reference_id: str
    occurred_at: datetime
    actor: str


@dataclass(frozen=True)
class LotBalance:
    expires_on: date | None
    on_hand: int


Inventory = dict[LotKey, LotBalance]


@singledispatch
def lot_changes(event: Event, envelope: Envelope) -> list[LotChange]:
    """Events that do not move stock change nothing."""
    return []


@lot_changes.register
def _(event: StockReceived, envelope: Envelope) -> list[LotChange]:
    key = LotKey(event.location_id, event.item_id, event.lot)
    return [LotChange(key, event.expires_on, event.quantity)]


def movements(event: Event, envelope: Envelope) -> list[Movement]:
    """The stock-card lines an event writes: one per lot change."""
    return [
        Movement(
            event_id=envelope.event_id,
            key=change.key,
            kind=envelope.type,
            quantity=change.delta,
            reference_id=_reference_of(event),
            occurred_at=envelope.occurred_at,
            actor=envelope.actor.user_id,
        )
        for change in lot_changes(event, envelope)
    ]


def _reference_of(event: Event) -> str:
    return str(getattr(event, "receipt_id", None) or event.aggregate_id)


def net_changes(changes: Iterable[LotChange]) -> dict[LotKey, LotChange]:
    """Sum the changes per lot, so a batch needs one write per lot."""
    net: dict[LotKey, LotChange] = {}
    for change in changes:
        previous = net.get(change.key)
        if previous is None:
            net[change.key] = change
        else:
            expiry = previous.expires_on or change.expires_on
            net[change.key] = LotChange(change.key, expiry, previous.delta + change.delta)
    return net


def fold(state: Inventory, stream: Iterable[tuple[Envelope, Event]]) -> Inventory:
    """Apply events to an inventory, returning the new inventory."""
    result = dict(state)
    for envelope, event in stream:
        for change in lot_changes(event, envelope):
            current = result.get(change.key, LotBalance(change.expires_on, 0))
            result[change.key] = LotBalance(
                current.expires_on or change.expires_on, current.on_hand + change.delta
            )
    return result
