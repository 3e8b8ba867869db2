"""Choosing which lots leave: the named lot, or first expired, first out."""

from __future__ import annotations

from datetime import date

from services.domain.decisions import Refused, Rejected
from services.domain.stock.state import LocationStock, Lot


def pick(
    state: LocationStock,
    item_id: str,
    quantity: int,
    lot: str | None,
    today: date,
    *,
    allow_expired: bool,
) -> list[tuple[Lot, int]]:
    """The lots and quantities to take, or a refusal saying what is available."""
    if lot is not None:
        chosen = state.lot(item_id, lot)
        if chosen is None:
            raise Rejected(
                "unknown_lot",
                f"no lot {lot!r} of {item_id!r} here",
                field="lot",
                item_id=item_id,
                lot=lot,
            )
        if _expired(chosen, today) and not allow_expired:
            raise Rejected(
                "expired_lot",
                f"lot {lot!r} expired on {chosen.expires_on}; set allow_expired to ship it anyway",
                field="lot",
                lot=lot,
            )
        candidates = [chosen]
    else:
        candidates = [
            lt for lt in state.lots_of(item_id) if allow_expired or not _expired(lt, today)
        ]
    available = sum(lt.on_hand for lt in candidates)
    if quantity > available:
        raise Refused(
            "insufficient_stock",
            f"only {available} of {item_id!r} available, {quantity} requested",
            item_id=item_id,
            lot=lot,
            requested=quantity,
            available=available,
        )
    return take(candidates, quantity)


def take(lots: list[Lot], quantity: int) -> list[tuple[Lot, int]]:
    """Up to `quantity` from the lots in the order given (FEFO from `lots_of`), each lot
    emptied before the next is touched."""
    picked: list[tuple[Lot, int]] = []
    for lot in lots:
        taken = min(lot.on_hand, quantity)
        if taken > 0:
            picked.append((lot, taken))
            quantity -= taken
    return picked


def _expired(lot: Lot, today: date) -> bool:
    return lot.expires_on is not None and lot.expires_on < today
