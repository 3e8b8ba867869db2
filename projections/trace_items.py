"""The donor trace item by item: a donation's parts per item (a cash donation buys several
goods, and units summed over them mean nothing), each part summing over the items to the
trace's total. Pure functions over what `relief_queries.trace` read, in the same pass."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from math import floor
from typing import Any

KitLot = tuple[str, str]  # kit item, lot
Row = dict[str, Any]


def by_item(rows: Iterable[Sequence[Any]]) -> dict[str, int]:
    """(item, quantity) rows summed by item."""
    found: dict[str, int] = defaultdict(int)
    for item, quantity in rows:
        found[item] += int(quantity or 0)
    return dict(found)


def kit_shares_by_item(
    held: dict[tuple[str, str, str], dict[str, int]],
    spread: Callable[[KitLot], int],
    handed: Iterable[tuple[KitLot, int]],
    lost: Iterable[tuple[KitLot, int]],
    moving: Iterable[tuple[KitLot, int]],
    totals: tuple[int, int, int],
) -> dict[str, dict[str, int]]:
    """Item by item: the units assembled into kits, and their shares of the kits handed out,
    lost and on their way (each part's rounded-down total shared out by `apportion`)."""
    in_lot: dict[KitLot, list[tuple[str, int]]] = defaultdict(list)
    assembled: dict[str, int] = defaultdict(int)
    for (kit, lot, item), figures in held.items():
        in_lot[(kit, lot)].append((item, figures["units"]))
        assembled[item] += figures["units"]

    def exact(kits: Iterable[tuple[KitLot, int]]) -> dict[str, Fraction]:
        found: dict[str, Fraction] = defaultdict(Fraction)
        for kit_lot, n in kits:
            for item, units in in_lot[kit_lot]:
                found[item] += Fraction(n * units, spread(kit_lot))
        return found

    def room(*taken: dict[str, int]) -> dict[str, int]:
        return {i: a - sum(t.get(i, 0) for t in taken) for i, a in assembled.items()}

    units_handed = apportion(totals[0], exact(handed), room())
    units_lost = apportion(totals[1], exact(lost), room(units_handed))
    units_moving = apportion(totals[2], exact(moving), room(units_handed, units_lost))
    return {"assembled": dict(assembled), "handed": units_handed, "lost": units_lost,
            "moving": units_moving}  # fmt: skip


def apportion(total: int, exact: dict[str, Fraction], room: dict[str, int]) -> dict[str, int]:
    """`total` (the exact figures' sum rounded down) shared out by item: each item's figure
    rounded down, then one more to the items with the largest remainders, those with room
    left for it first (so an item's kits never give out more units than it put in), ties to
    the first item id."""
    shared = {item: floor(x) for item, x in exact.items()}
    left = total - sum(shared.values())
    order = sorted(
        exact,
        key=lambda i: (exact[i] == shared[i], room.get(i, 0) <= shared[i], shared[i] - exact[i], i),
    )
    for item in order[:left]:
        shared[item] += 1
    return shared


def items_of(parts: dict[str, dict[str, int]], kits: dict[str, dict[str, int]]) -> list[Row]:
    """The trace item by item (those with any figure), sorted by item: the donation's own
    lots' parts plus the shares of kits handed out and lost; the rest stays inside kits."""
    rows = []
    for item in sorted(set().union(*parts.values(), *kits.values())):
        handed, lost = kits["handed"].get(item, 0), kits["lost"].get(item, 0)
        row: Row = {
            "item_id": item,
            "received": parts["received"].get(item, 0),
            "in_stock": parts["in_stock"].get(item, 0),
            "in_transit": parts["in_transit"].get(item, 0),
            "distributed": parts["distributed"].get(item, 0) + handed,
            "lost": parts["lost"].get(item, 0) + lost,
            "in_kits": kits["assembled"].get(item, 0) - handed - lost,
            "in_kits_in_transit": kits["moving"].get(item, 0),
        }
        if any(value for name, value in row.items() if name != "item_id"):
            rows.append(row | {"through_kits": {"units_handed": handed, "units_lost": lost}})
    return rows
