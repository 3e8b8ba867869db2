"""Properties of a warehouse assembling and breaking up baskets under any sequence of receipts,
assemblies (on two versions of the composition) and disassemblies.

An independent ledger, kept here from what was asked and whether it was accepted, says how
many units of each item are on hand; the decider's state and the inventory projection's fold
must agree with it, no lot ever goes below zero, and a refused assembly names the number of
kits the usable stock allows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from events import Event
from events.kits import KitComponent
from projections.inventory import fold as project
from services.domain.decisions import DomainError, Refused
from services.domain.stock.commands import ReceiveStock
from services.domain.stock.decider import StockDecider
from services.domain.stock.kit_commands import AssembleKits, DisassembleKits
from services.domain.stock.state import LocationStock
from tests.support.stock_stories import LAST_FEBRUARY, MARRAKECH, RAMADAN_MORNING

BASKET, FLOUR, SUGAR, OIL = "ramadan-basket", "flour-kg", "sugar-kg", "oil-l"
COMPOSITIONS = {1: {FLOUR: 3, SUGAR: 2}, 2: {FLOUR: 2, OIL: 1}}
EXPIRIES = (None, date(2026, 12, 15), date(2027, 1, 31), LAST_FEBRUARY)  # the last has expired
DECIDER = StockDecider()


@dataclass
class Ledger:
    """On hand per item, told apart by whether it can still go into kits; kits per lot."""

    usable: Counter[str] = field(default_factory=Counter)
    expired: Counter[str] = field(default_factory=Counter)
    kit_lots: dict[str, tuple[int, int]] = field(default_factory=dict)  # lot -> version, kits

    def on_hand(self, item: str) -> int:
        if item == BASKET:
            return sum(kits for _, kits in self.kit_lots.values())
        return self.usable[item] + self.expired[item]

    def possible(self, version: int) -> int:
        return min(self.usable[i] // q for i, q in COMPOSITIONS[version].items())


receipts = st.tuples(st.just("receive"), st.sampled_from([FLOUR, SUGAR, OIL]),
                     st.integers(1, 200), st.sampled_from(EXPIRIES))  # fmt: skip
assemblies = st.tuples(st.just("assemble"), st.sampled_from([1, 2]), st.integers(1, 12))
disassemblies = st.tuples(st.just("disassemble"), st.integers(0, 5), st.integers(1, 10))
# Every story starts with bulk stock enough for a few dozen baskets.
OPENING = [("receive", FLOUR, 60, None), ("receive", SUGAR, 40, None), ("receive", OIL, 20, None)]
steps = st.lists(st.one_of(receipts, assemblies, assemblies, disassemblies), max_size=40).map(
    lambda plan: OPENING + plan
)


def command(step: tuple[Any, ...], n: int, ledger: Ledger) -> Any:
    kind = step[0]
    if kind == "receive":
        _, item, quantity, expires_on = step
        return ReceiveStock(receipt_id=f"r-{n}", location_id=MARRAKECH, item_id=item,
                            quantity=quantity, lot=f"L-{n}", expires_on=expires_on)  # fmt: skip
    if kind == "assemble":
        _, version, quantity = step
        parts = [KitComponent(item_id=i, quantity=q) for i, q in COMPOSITIONS[version].items()]
        return AssembleKits(assembly_id=f"a-{n}", location_id=MARRAKECH, kit_item_id=BASKET,
                            quantity=quantity, composition_version=version,
                            components=parts)  # fmt: skip
    _, which, quantity = step
    lots = sorted(ledger.kit_lots) or ["a-none"]
    return DisassembleKits(disassembly_id=f"d-{n}", location_id=MARRAKECH, kit_item_id=BASKET,
                           quantity=quantity, lot=lots[which % len(lots)])  # fmt: skip


def expect(step: tuple[Any, ...], cmd: Any, ledger: Ledger) -> bool:
    """Whether the ledger says the command can be carried out; if so, book it."""
    if step[0] == "receive":
        book = ledger.expired if cmd.expires_on == LAST_FEBRUARY else ledger.usable
        book[cmd.item_id] += cmd.quantity
        return True
    if step[0] == "assemble":
        if ledger.possible(cmd.composition_version) < cmd.quantity:
            return False
        for item, q in COMPOSITIONS[cmd.composition_version].items():
            ledger.usable[item] -= q * cmd.quantity
        ledger.kit_lots[cmd.assembly_id] = (cmd.composition_version, cmd.quantity)
        return True
    version, kits = ledger.kit_lots.get(cmd.lot, (1, 0))
    if kits < cmd.quantity:
        return False
    for item, q in COMPOSITIONS[version].items():
        ledger.usable[item] += q * cmd.quantity
    ledger.kit_lots[cmd.lot] = (version, kits - cmd.quantity)
    return True


@settings(max_examples=200, deadline=None, database=None)
@given(steps)
def test_on_hand_follows_an_independent_ledger_and_never_goes_negative(
    plan: list[tuple[Any, ...]],
) -> None:
    state, ledger, accepted = LocationStock(), Ledger(), list[Event]()
    for n, step in enumerate(plan):
        cmd = command(step, n, ledger)
        possible = ledger.possible(cmd.composition_version) if step[0] == "assemble" else None
        expected = expect(step, cmd, ledger)
        try:
            decided = DECIDER.decide(state, cmd, RAMADAN_MORNING)
        except DomainError as error:
            assert not expected, f"{cmd} refused: {error.message}"
            assert isinstance(error, Refused) or step[0] == "disassemble"
            if step[0] == "assemble":
                assert error.details["possible"] == possible
            continue
        assert expected, f"{cmd} accepted against the ledger"
        for event in decided:
            state = DECIDER.evolve(state, event)
        accepted += decided

    projected = project({}, [(None, e) for e in accepted])  # type: ignore[misc]
    for item in (FLOUR, SUGAR, OIL, BASKET):
        assert state.on_hand(item) == ledger.on_hand(item)
        assert sum(b.on_hand for k, b in projected.items() if k.item_id == item) == (
            ledger.on_hand(item)
        )
    assert all(lot.on_hand >= 0 for lot in state.lots.values())
    assert all(balance.on_hand >= 0 for balance in projected.values())
