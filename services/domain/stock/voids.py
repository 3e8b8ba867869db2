"""Voiding an entry recorded by mistake: its opposite, decided by the location's writer."""

from __future__ import annotations

from datetime import datetime

from events import Event
from events.stock import (
    StockAdjustmentVoided,
    StockCountVoided,
    StockDistributionVoided,
    StockEntryVoided,
    StockReceiptVoided,
    VoidedLine,
)
from services.domain.decisions import Refused
from services.domain.stock.commands import VoidStockEntry
from services.domain.stock.state import LocationStock, moved

VOIDS: dict[str, type[StockEntryVoided]] = {
    cls.ENTRY: cls
    for cls in (
        StockReceiptVoided,
        StockAdjustmentVoided,
        StockCountVoided,
        StockDistributionVoided,
    )
}


def void_entry(state: LocationStock, command: VoidStockEntry, now: datetime) -> list[Event]:
    """Undo what the entry did to each lot, unless that would leave a lot below zero (the
    stock it added has left since: void what took it first) or the entry is already void."""
    key = (command.entry, command.entry_id)
    entry = state.entries.get(key)
    if entry is None:
        raise Refused(
            f"unknown_{command.entry}",
            f"no {command.entry} {command.entry_id!r} at {command.location_id}",
            entry_id=command.entry_id,
        )
    if key in state.voided:
        raise Refused(
            "already_voided",
            f"{command.entry} {command.entry_id!r} is already voided",
            entry_id=command.entry_id,
        )
    lines: list[VoidedLine] = []
    for item_id, lot_code, delta in entry:
        lot = state.lot(item_id, lot_code)
        on_hand = lot.on_hand if lot else 0
        if delta > 0 and on_hand - delta < 0:
            raise Refused(
                "insufficient_stock",
                f"voiding {command.entry} {command.entry_id!r} takes {delta} of {item_id!r}"
                f" lot {lot_code!r}, only {on_hand} are here",
                item_id=item_id,
                lot=lot_code,
                requested=delta,
                available=on_hand,
            )
        state = moved(state, item_id, lot_code, -delta)  # two lines on one lot add up
        if delta:
            lines.append(
                VoidedLine(
                    item_id=item_id,
                    lot=lot_code,
                    expires_on=lot.expires_on if lot else None,
                    donation_id=lot.donation_id if lot else None,
                    quantity=-delta,
                )
            )
    voided = VOIDS[command.entry]
    return [
        voided(
            entry_id=command.entry_id,
            location_id=command.location_id,
            lines=lines,
            reason=command.reason,
        )
    ]
