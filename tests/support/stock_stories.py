"""Given/when/then for the stock decider: past facts, one command, the decision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from events import Actor, Event
from events.stock import AdjustmentReason, StockReceived, TransferLine
from services.domain.decisions import DomainError, Refused, Rejected
from services.domain.stock.commands import (
    AdjustStock,
    CountStock,
    DispatchTransfer,
    ReceiveTransfer,
    RequestedLine,
)
from services.domain.stock.decider import StockDecider
from services.domain.stock.state import LocationStock

MARRAKECH, AL_HAOUZ, CASABLANCA = "wh-marrakech", "site-al-haouz", "wh-casablanca"
BASKETS, FLOUR = "food-basket", "flour-25kg"
# Mid-Ramadan 2026: lots dated before today have expired.
RAMADAN_MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DECEMBER_2026, JANUARY_2027 = date(2026, 12, 15), date(2027, 1, 31)
LAST_FEBRUARY = date(2026, 2, 28)
STOREKEEPER = Actor(user_id="karim.operator", role="operator")


def received(
    quantity: int,
    lot: str = "RB-1",
    *,
    expires_on: date | None = None,
    item: str = BASKETS,
    location: str = MARRAKECH,
    donation_id: str | None = None,
) -> StockReceived:
    """Goods that arrived earlier and became lot `lot`."""
    return StockReceived(
        receipt_id=f"rcpt-{item}-{lot}".lower(),
        location_id=location,
        item_id=item,
        quantity=quantity,
        lot=lot,
        expires_on=expires_on,
        donation_id=donation_id,
    )


def line(quantity: int, item: str = BASKETS, lot: str | None = None) -> RequestedLine:
    return RequestedLine(item_id=item, quantity=quantity, lot=lot)


def dispatch(
    *lines: RequestedLine,
    to: str = AL_HAOUZ,
    source: str = MARRAKECH,
    transfer_id: str = "tr-001",
    allow_expired: bool = False,
) -> DispatchTransfer:
    return DispatchTransfer(
        transfer_id=transfer_id,
        from_location_id=source,
        to_location_id=to,
        lines=list(lines),
        allow_expired=allow_expired,
    )


def sent(
    quantity: int, lot: str, *, expires_on: date | None = None, item: str = BASKETS
) -> TransferLine:
    """One lot line as it left the source of a transfer."""
    return TransferLine(item_id=item, lot=lot, expires_on=expires_on, quantity=quantity)


def receive_transfer(
    dispatched: Iterable[TransferLine],
    received: dict[str, int],
    *,
    transfer_id: str = "tr-001",
    source: str = MARRAKECH,
    at: str = AL_HAOUZ,
) -> ReceiveTransfer:
    return ReceiveTransfer(
        transfer_id=transfer_id,
        from_location_id=source,
        to_location_id=at,
        dispatched=list(dispatched),
        received=received,
    )


def adjust(
    quantity: int,
    reason: AdjustmentReason,
    lot: str | None = None,
    *,
    item: str = BASKETS,
    adjustment_id: str = "adj-001",
) -> AdjustStock:
    return AdjustStock(
        adjustment_id=adjustment_id,
        location_id=MARRAKECH,
        item_id=item,
        lot=lot,
        quantity=quantity,
        reason=reason,
    )


def count(
    counted: int, lot: str | None = None, *, item: str = BASKETS, count_id: str = "cnt-001"
) -> CountStock:
    return CountStock(
        count_id=count_id, location_id=MARRAKECH, item_id=item, lot=lot, counted_quantity=counted
    )


def fold(events: Iterable[Event], state: LocationStock | None = None) -> LocationStock:
    decider = StockDecider()
    for event in events:
        state = decider.evolve(state or decider.initial(), event)
    return state or decider.initial()


@dataclass(frozen=True)
class Decision:
    """What the decider answered: events, or the domain error it raised."""

    before: LocationStock
    events: list[Event]
    error: DomainError | None

    def then(self, *expected: Event) -> LocationStock:
        """Assert the events decided; the state once they are folded."""
        assert self.error is None, f"expected events, got {self.error.code}: {self.error.details}"
        assert self.events == list(expected)
        return fold(self.events, self.before)

    def then_refused(self, code: str, **details: Any) -> Refused:
        return self._failed(Refused, code, details)

    def then_rejected(self, code: str, **details: Any) -> Rejected:
        return self._failed(Rejected, code, details)

    def _failed(self, kind: type[Any], code: str, details: dict[str, Any]) -> Any:
        assert self.error is not None, f"expected {code}, got events {self.events}"
        assert type(self.error) is kind, f"{self.error!r} is not {kind.__name__}"
        assert self.error.code == code, self.error.message
        assert {k: self.error.details.get(k) for k in details} == details
        return self.error


@dataclass(frozen=True)
class Story:
    state: LocationStock

    def when(self, command: Any, now: datetime = RAMADAN_MORNING) -> Decision:
        try:
            return Decision(self.state, StockDecider().decide(self.state, command, now), None)
        except DomainError as error:
            return Decision(self.state, [], error)


def given(*events: Event) -> Story:
    """A location whose log holds `events`, folded with the decider's own evolve."""
    return Story(fold(events))
