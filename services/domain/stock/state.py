"""A location's stock as its decider sees it: lots on hand, transfers seen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from events import Event
from events.stock import (
    StockAdjusted,
    StockCounted,
    StockDistributed,
    StockReceived,
    TransferDispatched,
    TransferReceived,
)
from services.domain.dispatching import on_message
from services.domain.stock.fefo import fefo
from services.domain.stock.kit_lots import KitContents


@dataclass(frozen=True)
class Lot:
    item_id: str
    lot: str
    expires_on: date | None
    donation_id: str | None
    on_hand: int


@dataclass(frozen=True)
class LocationStock:
    lots: Mapping[tuple[str, str], Lot] = field(default_factory=dict)
    # transfer id -> the convoy (deployment) it moved for, None for a transfer of its own
    dispatched_transfers: Mapping[str, str | None] = field(default_factory=dict)
    received_transfers: Mapping[str, str | None] = field(default_factory=dict)
    # (kit item, kit lot) -> the component lots inside the kits assembled here
    kit_contents: Mapping[tuple[str, str], KitContents] = field(default_factory=dict)

    def lots_of(self, item_id: str) -> list[Lot]:
        """The item's lots holding stock, in FEFO order."""
        found = [lot for (item, _), lot in self.lots.items() if item == item_id and lot.on_hand]
        return fefo(found)

    def lot(self, item_id: str, lot: str) -> Lot | None:
        return self.lots.get((item_id, lot))

    def on_hand(self, item_id: str) -> int:
        return sum(lot.on_hand for lot in self.lots_of(item_id))


def moved(
    state: LocationStock,
    item_id: str,
    lot: str,
    delta: int,
    expires_on: date | None = None,
    donation_id: str | None = None,
) -> LocationStock:
    """The state with one lot's on-hand moved by `delta` (lot created on first receipt)."""
    current = state.lots.get((item_id, lot)) or Lot(item_id, lot, expires_on, donation_id, 0)
    updated = replace(
        current,
        on_hand=current.on_hand + delta,
        expires_on=current.expires_on or expires_on,
        donation_id=current.donation_id or donation_id,
    )
    return replace(state, lots={**state.lots, (item_id, lot): updated})


@on_message
def evolve(state: LocationStock, event: Event) -> LocationStock:
    """Events that do not move stock leave it as it is."""
    return state


@evolve.register
def _(state: LocationStock, event: StockReceived) -> LocationStock:
    return moved(
        state, event.item_id, event.lot, event.quantity, event.expires_on, event.donation_id
    )


@evolve.register
def _(state: LocationStock, event: TransferDispatched) -> LocationStock:
    for line in event.lines:
        state = moved(state, line.item_id, line.lot, -line.quantity)
    seen = {**state.dispatched_transfers, event.transfer_id: event.deployment_id}
    return replace(state, dispatched_transfers=seen)


@evolve.register
def _(state: LocationStock, event: TransferReceived) -> LocationStock:
    for line in event.lines:
        state = moved(
            state, line.item_id, line.lot, line.quantity, line.expires_on, line.donation_id
        )
    seen = {**state.received_transfers, event.transfer_id: event.deployment_id}
    return replace(state, received_transfers=seen)


@evolve.register
def _(state: LocationStock, event: StockAdjusted) -> LocationStock:
    return moved(
        state, event.item_id, event.lot, event.quantity, event.expires_on, event.donation_id
    )


@evolve.register
def _(state: LocationStock, event: StockCounted) -> LocationStock:
    return moved(
        state, event.item_id, event.lot, event.variance, event.expires_on, event.donation_id
    )


@evolve.register
def _(state: LocationStock, event: StockDistributed) -> LocationStock:
    return moved(
        state, event.item_id, event.lot, -event.quantity, event.expires_on, event.donation_id
    )
