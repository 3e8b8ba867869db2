"""Properties of one warehouse's stock under any sequence of commands.

Whatever operators ask of Marrakech, through the single writer (`AggregateStore`):
no lot ever goes below zero; on hand always equals receipts − dispatches ± adjustments
+ count variances, computed here from the accepted events alone, leaving out the receipts,
adjustments and counts voided since; a refusal writes nothing; and folding the accepted
events in batches of any size gives the same state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import events
from events import Event
from events.stock import (
    StockAdjusted,
    StockCounted,
    StockEntryVoided,
    StockReceived,
    TransferDiscrepancyRecorded,
    TransferDispatched,
    TransferLine,
    TransferReceived,
)
from services.domain.commands import Command, CommandEnvelope, Reply
from services.domain.deciding import AggregateStore
from services.domain.stock.commands import (
    AdjustStock,
    CountStock,
    DispatchTransfer,
    ReceiveStock,
    ReceiveTransfer,
    RequestedLine,
    VoidStockEntry,
)
from services.domain.stock.decider import StockDecider
from services.domain.stock.fefo import fefo
from services.domain.stock.state import LocationStock
from services.runtime.publisher import Position
from tests.support.stock_stories import (
    AL_HAOUZ,
    BASKETS,
    CASABLANCA,
    DECEMBER_2026,
    FLOUR,
    JANUARY_2027,
    LAST_FEBRUARY,
    MARRAKECH,
    RAMADAN_MORNING,
    STOREKEEPER,
    fold,
)

ITEMS = (BASKETS, FLOUR)
EXPIRY: dict[str, date | None] = {
    "L-DEC": DECEMBER_2026,
    "L-JAN": JANUARY_2027,
    "L-NODATE": None,
    "L-FEB": LAST_FEBRUARY,  # already expired on the morning the commands are issued
}
TODAY = RAMADAN_MORNING.date()
FAST = settings(max_examples=150, deadline=None, database=None)
LotKey = tuple[str, str]
DispatchLine = tuple[str, str | None, int]


# --- What operators ask, before it gets its ids ------------------------------------------------


@dataclass(frozen=True)
class Receive:
    item: str
    lot: str
    quantity: int

    def command(self, n: int) -> Command:
        return ReceiveStock(
            receipt_id=f"rcpt-{n}",
            location_id=MARRAKECH,
            item_id=self.item,
            quantity=self.quantity,
            lot=self.lot,
            expires_on=EXPIRY[self.lot],
        )


@dataclass(frozen=True)
class Dispatch:
    lines: tuple[DispatchLine, ...]
    allow_expired: bool

    def command(self, n: int) -> Command:
        return DispatchTransfer(
            transfer_id=f"tr-{n}",
            from_location_id=MARRAKECH,
            to_location_id=AL_HAOUZ,
            lines=[RequestedLine(item_id=i, lot=lot, quantity=q) for i, lot, q in self.lines],
            allow_expired=self.allow_expired,
        )

    def requested(self) -> Counter[tuple[str, str | None]]:
        wanted: Counter[tuple[str, str | None]] = Counter()
        for item, lot, quantity in self.lines:
            wanted[(item, lot)] += quantity
        return wanted


@dataclass(frozen=True)
class Incoming:
    """A transfer from Casablanca arriving, `shortfall` units short per line."""

    transfer_no: int
    lines: tuple[tuple[str, str, int, int], ...]

    def sent(self) -> Counter[str]:
        return _sum((item, q) for item, _, q, _ in self.lines)

    def received(self) -> dict[str, int]:
        short = _sum((item, s) for item, _, _, s in self.lines)
        return {item: max(0, q - short[item]) for item, q in self.sent().items()}

    def command(self, n: int) -> Command:
        return ReceiveTransfer(
            transfer_id=f"tr-in-{self.transfer_no}",
            from_location_id=CASABLANCA,
            to_location_id=MARRAKECH,
            dispatched=[
                TransferLine(item_id=item, lot=lot, expires_on=EXPIRY[lot], quantity=q)
                for item, lot, q, _ in self.lines
            ],
            received=self.received(),
        )


@dataclass(frozen=True)
class Adjust:
    item: str
    lot: str | None
    quantity: int
    reason: str

    def command(self, n: int) -> Command:
        return AdjustStock.model_validate(
            {
                "adjustment_id": f"adj-{n}",
                "location_id": MARRAKECH,
                "item_id": self.item,
                "lot": self.lot,
                "quantity": self.quantity,
                "reason": self.reason,
            }
        )


@dataclass(frozen=True)
class Count:
    item: str
    lot: str | None
    counted: int

    def command(self, n: int) -> Command:
        return CountStock(
            count_id=f"cnt-{n}",
            location_id=MARRAKECH,
            item_id=self.item,
            lot=self.lot,
            counted_quantity=self.counted,
        )


@dataclass(frozen=True)
class Retry:
    """The operator's device sends an earlier command again, same id and body."""

    back: int


@dataclass(frozen=True)
class Void:
    """Void an entry sent before (`back` picks which), accepted or not, voided or not."""

    back: int


@dataclass(frozen=True)
class VoidEntry:
    entry: str
    entry_id: str

    def command(self, n: int) -> Command:
        return VoidStockEntry.model_validate(
            {
                "location_id": MARRAKECH,
                "entry": self.entry,
                "entry_id": self.entry_id,
                "reason": "typed wrong",
            }
        )


Step = Receive | Dispatch | Incoming | Adjust | Count | VoidEntry
ENTRY_OF = {ReceiveStock: "receipt", AdjustStock: "adjustment", CountStock: "count"}
ID_OF = {"receipt": "receipt_id", "adjustment": "adjustment_id", "count": "count_id"}


def _sum(pairs: Iterable[tuple[str, int]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for key, quantity in pairs:
        total[key] += quantity
    return total


def _one_pick_per_item(lines: list[DispatchLine]) -> tuple[DispatchLine, ...]:
    """A FEFO line and a named-lot line for one item are never mixed: that is the known
    over-dispatch bug (xfail in test_stock_decider.py), not what these properties are about."""
    fefo_items = {item for item, lot, _ in lines if lot is None}
    return tuple((i, None if i in fefo_items else lot, q) for i, lot, q in lines)


items = st.sampled_from(ITEMS)
lots = st.sampled_from(sorted(EXPIRY))
# Mostly FEFO, sometimes a named lot (which may not be held: unknown_lot).
maybe_lot = st.one_of(st.none(), st.none(), lots)
quantities = st.integers(1, 80)
receipts = st.builds(Receive, items, lots, st.integers(20, 300))
dispatches = st.builds(
    Dispatch,
    st.lists(st.tuples(items, maybe_lot, quantities), min_size=1, max_size=3).map(
        _one_pick_per_item
    ),
    st.booleans(),
)
incoming = st.builds(
    Incoming,
    st.integers(0, 3),
    st.lists(
        st.tuples(items, lots, st.integers(1, 100), st.integers(0, 40)), min_size=1, max_size=3
    ).map(tuple),
)
adjustments = st.builds(
    Adjust,
    items,
    maybe_lot,
    quantities,
    st.sampled_from(["damaged", "expired", "lost", "stolen", "found"]),
)
counts = st.builds(Count, items, maybe_lot, st.integers(0, 200))
retries = st.builds(Retry, st.integers(0, 50))
voids = st.builds(Void, st.integers(0, 50))
journeys = st.lists(
    st.one_of(
        receipts, receipts, dispatches, dispatches, incoming, adjustments, counts, retries, voids
    ),
    min_size=8,
    max_size=40,
)


# --- Running a journey through the single writer --------------------------------------------


@dataclass
class Ledger:
    """On hand per lot and per item, kept from accepted events without the decider's evolve."""

    lots: Counter[LotKey] = field(default_factory=Counter)
    items: Counter[str] = field(default_factory=Counter)
    # what each receipt, adjustment and count did, until it is voided
    entries: dict[tuple[str, str], list[tuple[str, str, int]]] = field(default_factory=dict)

    def record(self, event: Event) -> None:
        movements = self._movements(event)
        for item, lot, delta in movements:
            self.lots[(item, lot)] += delta
            self.items[item] += delta
        match event:
            case StockReceived():
                self.entries[("receipt", event.receipt_id)] = movements
            case StockAdjusted():
                self.entries.setdefault(("adjustment", event.adjustment_id), []).extend(movements)
            case StockCounted():
                self.entries[("count", event.count_id)] = movements

    def voidable(self, entry: str, entry_id: str) -> bool:
        """Known, not voided, and undoing it leaves no lot below zero."""
        done = self.entries.get((entry, entry_id))
        return done is not None and all(self.lots[(i, lot)] - d >= 0 for i, lot, d in done)

    def _movements(self, event: Event) -> list[tuple[str, str, int]]:
        match event:
            case StockEntryVoided():
                # the entry's own movements, undone: not the lines the void event carries
                return [
                    (i, lot, -d) for i, lot, d in self.entries.pop((event.ENTRY, event.entry_id))
                ]
            case StockReceived():
                return [(event.item_id, event.lot, event.quantity)]
            case TransferReceived():
                return [(ln.item_id, ln.lot, ln.quantity) for ln in event.lines]
            case TransferDispatched():
                return [(ln.item_id, ln.lot, -ln.quantity) for ln in event.lines]
            case StockAdjusted():
                return [(event.item_id, event.lot, event.quantity)]
            case StockCounted():
                held = self.lots[(event.item_id, event.lot)]
                assert event.variance == event.counted_quantity - held, "variance ≠ count − held"
                return [(event.item_id, event.lot, event.variance)]
        return []


@dataclass
class Journey:
    store: AggregateStore[LocationStock] = field(
        default_factory=lambda: AggregateStore(StockDecider())
    )
    log: list[Event] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)
    sent: list[tuple[CommandEnvelope, Step]] = field(default_factory=list)
    written: dict[str, list[str]] = field(default_factory=dict)
    wire: list[bytes] = field(default_factory=list)
    entries_sent: list[VoidEntry] = field(default_factory=list)

    @property
    def state(self) -> LocationStock:
        return self.store.state(MARRAKECH)

    def take(self, n: int, step: Step | Retry | Void) -> None:
        if isinstance(step, Void):
            if not self.entries_sent:
                return
            step = self.entries_sent[step.back % len(self.entries_sent)]
        if isinstance(step, Retry):
            if not self.sent:
                return
            envelope, step = self.sent[step.back % len(self.sent)]
        else:
            issued_at = RAMADAN_MORNING + timedelta(seconds=n)
            command = step.command(n)
            envelope = CommandEnvelope.of(command, f"c-{n}", STOREKEEPER, issued_at)
            self.sent.append((envelope, step))
            if type(command) in ENTRY_OF:
                entry = ENTRY_OF[type(command)]
                self.entries_sent.append(VoidEntry(entry, getattr(command, ID_OF[entry])))
        before = self.state
        outcome = self.store.handle(envelope)
        if isinstance(outcome, Reply):
            self._answered(envelope, step, before, outcome)
        else:
            self._accepted(envelope, step, before, outcome)
        self._check_invariants()

    def _answered(
        self, envelope: CommandEnvelope, step: Step, before: LocationStock, reply: Reply
    ) -> None:
        assert self.state == before, "a reply must not change the stock"
        if reply.replayed:
            assert reply.status == "accepted"
            assert [e["event_id"] for e in reply.events] == self.written[envelope.command_id]
            return
        assert reply.status in ("refused", "rejected") and reply.events == []
        assert envelope.command_id not in self.written
        assert not self._acceptable(step, before, envelope.command_id), (
            reply.error,
            reply.details,
        )
        assert reply.error in EXPECTED_ERRORS[type(step)], reply.error

    def _accepted(
        self, envelope: CommandEnvelope, step: Step, before: LocationStock, out: Any
    ) -> None:
        assert out, "an accepted command writes at least one event"
        assert self._acceptable(step, before, envelope.command_id), step
        decided = []
        for written in out:
            raw = events.encode(written)
            parsed, event = events.decode(raw)
            self.store.apply(parsed, event, Position("stock", 0, len(self.log)))
            self.log.append(event)
            self.wire.append(raw)
            self.ledger.record(event)
            decided.append(event)
        self.written[envelope.command_id] = [str(e.event_id) for e in out]
        check_decided(step, decided)

    def _acceptable(self, step: Step, before: LocationStock, command_id: str) -> bool:
        if isinstance(step, VoidEntry):
            return self.ledger.voidable(step.entry, step.entry_id)
        return acceptable(step, before, command_id)

    def _check_invariants(self) -> None:
        state = self.state
        assert all(lot.on_hand >= 0 for lot in state.lots.values()), state.lots
        for key in set(state.lots) | set(self.ledger.lots):
            lot = state.lots.get(key)
            assert (lot.on_hand if lot else 0) == self.ledger.lots[key], key
        for item in ITEMS:
            assert state.on_hand(item) == self.ledger.items[item], item
            # an item's lots, found through its own index, are every lot of it holding stock
            held = [lot for lot in state.lots.values() if lot.item_id == item and lot.on_hand]
            assert state.lots_of(item) == fefo(held), item


EXPECTED_ERRORS: dict[type, set[str]] = {
    Receive: set(),
    Dispatch: {"insufficient_stock", "unknown_lot", "expired_lot"},
    Incoming: {"already_received"},
    Adjust: {"insufficient_stock", "unknown_lot"},
    Count: {"lot_required"},
    VoidEntry: {
        "unknown_receipt",
        "unknown_adjustment",
        "unknown_count",
        "already_voided",
        "insufficient_stock",
    },
}


def acceptable(step: Step, before: LocationStock, command_id: str) -> bool:
    """Whether the command should pass, judged from the lots before it, not from the decider."""
    match step:
        case Dispatch():
            return all(
                _available(before, item, lot, step.allow_expired) >= quantity
                for (item, lot), quantity in step.requested().items()
            )
        case Adjust(reason="found"):
            return True
        case Adjust():
            return _available(before, step.item, step.lot, True) >= step.quantity
        case Count(lot=None):
            return (
                len([lt for lt in before.lots.values() if lt.item_id == step.item and lt.on_hand])
                <= 1
            )
        case Incoming():
            return f"tr-in-{step.transfer_no}" not in before.received_transfers
    return True


def _available(state: LocationStock, item: str, lot: str | None, allow_expired: bool) -> int:
    """What may leave: a named lot must exist (and be in date); FEFO ignores expired lots."""
    held = [lt for lt in state.lots.values() if lt.item_id == item and lot in (None, lt.lot)]
    if lot is not None and not held:
        return -1
    usable = [lt for lt in held if allow_expired or not (lt.expires_on and lt.expires_on < TODAY)]
    if lot is not None and not usable:
        return -1
    return sum(lt.on_hand for lt in usable)


def check_decided(step: Step, decided: list[Event]) -> None:
    """The events say exactly what was asked: no more, no less."""
    match step:
        case Dispatch():
            [event] = decided
            assert isinstance(event, TransferDispatched)
            assert _sum((ln.item_id, ln.quantity) for ln in event.lines) == _sum(
                (item, q) for (item, _), q in step.requested().items()
            )
        case Adjust():
            sign = 1 if step.reason == "found" else -1
            assert all(isinstance(e, StockAdjusted) and e.quantity * sign > 0 for e in decided)
            assert sum(e.quantity for e in decided) == sign * step.quantity  # type: ignore[attr-defined]
            assert len({e.lot for e in decided}) == len(decided)  # type: ignore[attr-defined]
        case Incoming():
            arrived, *short = decided
            assert isinstance(arrived, TransferReceived)
            assert all(isinstance(e, TransferDiscrepancyRecorded) for e in short)
            got = _sum((ln.item_id, ln.quantity) for ln in arrived.lines)
            missing = _sum((e.item_id, e.missing) for e in short)  # type: ignore[attr-defined]
            assert got + missing == step.sent()
            assert {i: got[i] for i in step.sent()} == step.received()


def journey(steps: list[Step | Retry | Void]) -> Journey:
    walked = Journey()
    for n, step in enumerate(steps):
        walked.take(n, step)
    return walked


# --- The properties ----------------------------------------------------------------------------


@FAST
@given(steps=journeys, data=st.data())
def test_stock_stays_consistent_and_any_batching_of_the_log_folds_to_the_same_state(
    steps: list[Step | Retry | Void], data: st.DataObject
) -> None:
    walked = journey(steps)

    cuts = data.draw(st.lists(st.integers(0, len(walked.log)), max_size=8), label="cuts")
    bounds = [0, *sorted(cuts), len(walked.log)]
    state = LocationStock()
    for start, end in pairwise(bounds):
        state = fold(walked.log[start:end], state)

    assert state == walked.state


@settings(max_examples=40, deadline=None, database=None)
@given(steps=journeys)
def test_the_same_journey_writes_the_same_bytes(steps: list[Step | Retry | Void]) -> None:
    assert journey(steps).wire == journey(steps).wire
