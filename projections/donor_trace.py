"""The donor trace: where a donation's units are, folded from what `relief_queries.trace`
reads (pure functions, no database).

A donation's units are in stock (by location), in transit, distributed or lost: those parts
add up to what was received. Units inside kits are still held: those of kits in stock count
in `in_stock` at the kits' location, those of kits on their way in `in_transit`; `in_kits`
(in total, per location and per item) and `in_kits_in_transit` say how much of those parts
sits inside kits. A kit lot holds `units` of the donation in `kits` kits: each of its kits
carries units / kits of it, so the kits handed out (or lost, or on their way) take that share
to the households (or the losses, or the road). Shares are summed exactly and rounded down
once, per part and per row of each breakdown; what rounding leaves stays inside kits in
stock, where the lots' kits are (where they were assembled when none is left in stock).
Item by item (a cash donation buys several goods, and units summed over them mean nothing),
a part's rounded total is shared out by largest remainder (see `apportion`), so each part's
items sum to its total, and the kits in stock are placed by location the same way (see
`place`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from math import floor
from typing import Any

KitLot = tuple[str, str]  # kit item, lot
Row = dict[str, Any]
# A distribution: quantity, region, province, campaign, time, household.
Handed = tuple[Any, str | None, str | None, str | None, datetime, str]


@dataclass(frozen=True)
class TraceReading:
    """What the trace is folded from, as the read model holds it."""

    received: dict[str, int]  # item -> units received (voids netted)
    stocked: Sequence[tuple[str, str, int]]  # (location, item, units there)
    moving: Sequence[tuple[str, int, int]]  # (item, units on their way, units missing)
    adjusted: dict[str, int]  # item -> units adjusted or counted (losses negative)
    handed: Sequence[tuple[Any, ...]]  # (item, *Handed): the donation's own lots handed out
    held: dict[tuple[str, str, str], dict[str, int]]  # (kit, lot, item) -> units, kits
    kits_handed: Sequence[tuple[Any, ...]]  # (kit lot, *Handed): its lots' kits handed out
    kits_lost: dict[KitLot, int]  # kits missing or adjusted away (found ones count back)
    kits_moving: dict[KitLot, int]  # kits on a transfer or a convoy
    # (kit lot, location, kits there now, kits assembled there)
    kits_stocked: Sequence[tuple[KitLot, str, int, int]] = ()


def trace_of(donation_id: str, reading: TraceReading) -> Row:
    """The donor trace: totals, the distribution's breakdowns, the kit lots and `items`
    (the same parts item by item, sorted by item); each total is its items' sum."""
    kits = _per_kit_lot(reading.held)
    kits_lost = {k: max(n, 0) for k, n in reading.kits_lost.items()}  # found: none lost
    gone = Counter(kits_lost)  # kits handed out, lost or on their way
    for k, q, *_ in reading.kits_handed:
        gone[k] += q
    for k, n in reading.kits_moving.items():
        gone[k] += max(n, 0)

    def spread(kit_lot: KitLot) -> int:
        """The kits a lot's units are spread over: those assembled, or every kit handed out,
        lost or on its way when a count found more than were assembled (which of them were
        found nobody knows), so those kits never carry more than the lot held."""
        return max(kits[kit_lot]["kits"], gone[kit_lot])

    def share(kit_lot: KitLot, n: int) -> Fraction:
        """The donation's units in `n` kits of the lot."""
        return Fraction(n * kits[kit_lot]["units"], spread(kit_lot))

    def exact_sum(kit_lots: Iterable[tuple[KitLot, int]]) -> int:
        return floor(sum((share(k, n) for k, n in kit_lots), Fraction(0)))

    share_handed = [(share(k, q), *rest) for k, q, *rest in reading.kits_handed]
    units_handed = floor(sum((row[0] for row in share_handed), Fraction(0)))
    units_lost = exact_sum(kits_lost.items())
    units_moving = exact_sum(reading.kits_moving.items())
    missing = by_item([(item, n) for item, _, n in reading.moving])
    parts = {
        "received": reading.received,
        "in_transit": by_item([(item, n) for item, n, _ in reading.moving]),
        "in_stock": by_item([(item, q) for _, item, q in reading.stocked]),
        "lost": {i: missing.get(i, 0) - reading.adjusted.get(i, 0)
                 for i in missing | reading.adjusted},
        "distributed": by_item([(item, q) for item, q, *_ in reading.handed]),
    }  # fmt: skip
    through = kit_shares_by_item(
        reading.held, spread, [(k, q) for k, q, *_ in reading.kits_handed], kits_lost.items(),
        reading.kits_moving.items(), (units_handed, units_lost, units_moving),
    )  # fmt: skip
    taken = (through["handed"], through["lost"], through["moving"])
    in_kits_in_stock = {i: a - sum(t.get(i, 0) for t in taken)
                        for i, a in through["assembled"].items()}  # fmt: skip
    placed = kits_placed(reading.held, reading.kits_stocked, spread, in_kits_in_stock)
    items = items_of(parts, through, placed)
    in_stock: Counter[str] = Counter()
    in_kits_at: Counter[str] = Counter()
    for location, _, q in reading.stocked:
        in_stock[location] += q
    for by_location in placed.values():
        in_stock.update(by_location)
        in_kits_at.update(by_location)

    def total(part: str) -> int:
        return sum(row[part] for row in items)

    return {
        "donation_id": donation_id,
        "received": total("received"),
        "in_stock": [
            {"location_id": loc, "quantity": q, "in_kits": in_kits_at[loc]}
            for loc, q in sorted(in_stock.items())
            if q or in_kits_at[loc]
        ],
        "in_transit": total("in_transit"),
        "distributed": distributed(
            [(Fraction(r[1]), *r[2:]) for r in reading.handed] + share_handed
        ),
        "lost": total("lost"),
        "in_kits": total("in_kits"),
        "in_kits_in_transit": total("in_kits_in_transit"),
        "through_kits": {
            "lots": [
                {"kit_item_id": kit, "lot": lot, "item_id": item, **figures}
                for (kit, lot, item), figures in sorted(reading.held.items())
            ],
            "units_handed": units_handed,
            "units_lost": units_lost,
            "kits_handed": distributed(
                [(Fraction(q), *rest) for _, q, *rest in reading.kits_handed]
            ),
        },
        "items": items,
    }


def _per_kit_lot(held: dict[tuple[str, str, str], dict[str, int]]) -> dict[KitLot, dict[str, int]]:
    """The donation's units in each kit lot (all its items together) and the lot's kits."""
    found: dict[KitLot, dict[str, int]] = {}
    for (kit, lot, _), figures in held.items():
        lot_of = found.setdefault((kit, lot), {"units": 0, "kits": figures["kits"]})
        lot_of["units"] += figures["units"]
    return found


def distributed(rows: Sequence[Any]) -> Row:
    """Quantities (exact shares, rounded down per row of each breakdown) and households,
    in total and by region, province, campaign and month."""
    households: set[str] = set()
    groups: dict[str, dict[str, dict[str, Any]]] = {
        g: defaultdict(lambda: {"quantity": Fraction(0), "households": set()})
        for g in ("region_code", "province_code", "campaign_id", "month")
    }
    for quantity, region, province, campaign, when, household in rows:
        households.add(household)
        for name, value in (
            ("region_code", region),
            ("province_code", province),
            ("campaign_id", campaign),
            ("month", when.strftime("%Y-%m")),
        ):
            bucket = groups[name][value or ""]
            bucket["quantity"] += quantity
            bucket["households"].add(household)
    summary: Row = {
        "quantity": floor(sum((r[0] for r in rows), Fraction(0))),
        "households": len(households),
    }
    for name, label in (
        ("region_code", "by_region"),
        ("province_code", "by_province"),
        ("campaign_id", "by_campaign"),
        ("month", "by_month"),
    ):
        summary[label] = [
            {name: key, "quantity": floor(v["quantity"]), "households": len(v["households"])}
            for key, v in sorted(groups[name].items())
        ]
    return summary


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


def kits_placed(
    held: dict[tuple[str, str, str], dict[str, int]],
    stocked: Iterable[tuple[KitLot, str, int, int]],
    spread: Callable[[KitLot], int],
    totals: dict[str, int],
) -> dict[str, dict[str, int]]:
    """Item by item, its units inside kits in stock (`totals`) by location: shared out (see
    `place`) in proportion to the donation's share of the kits each location holds or, when
    none is left in stock (what rounding leaves of kits all gone), of those assembled there."""
    in_lot: dict[KitLot, list[tuple[str, int]]] = defaultdict(list)
    for (kit, lot, item), figures in held.items():
        in_lot[(kit, lot)].append((item, figures["units"]))
    now: dict[str, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    made: dict[str, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    for kit_lot, location, kits_there, assembled_there in stocked:
        for item, units in in_lot.get(kit_lot, []):
            now[item][location] += Fraction(max(kits_there, 0) * units, spread(kit_lot))
            made[item][location] += Fraction(max(assembled_there, 0) * units, spread(kit_lot))
    return {
        item: place(total, now[item] if any(now[item].values()) else made[item])
        for item, total in totals.items()
    }


def place(total: int, weights: dict[str, Fraction]) -> dict[str, int]:
    """`total` shared out in proportion to `weights`: each share rounded down, then one more
    to the largest remainders (ties to the first key), so the shares sum to `total`; with no
    weight at all (no location ever held the kits) nothing is placed."""
    whole = sum(weights.values(), Fraction(0))
    if not whole:
        return {}
    exact = {key: total * weight / whole for key, weight in weights.items()}
    shared = {key: floor(x) for key, x in exact.items()}
    left = total - sum(shared.values())
    for key in sorted(exact, key=lambda k: (shared[k] - exact[k], k))[:left]:
        shared[key] += 1
    return {key: n for key, n in shared.items() if n}


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


def items_of(
    parts: dict[str, dict[str, int]],
    kits: dict[str, dict[str, int]],
    placed: dict[str, dict[str, int]],
) -> list[Row]:
    """The trace item by item (those with any figure), sorted by item: the donation's own
    lots' parts plus its shares of kits handed out, lost, on their way and in stock (`placed`
    by location); `in_kits` and `in_kits_in_transit` say how much of those is inside kits."""
    rows = []
    for item in sorted(set().union(*parts.values(), *kits.values())):
        handed, lost = kits["handed"].get(item, 0), kits["lost"].get(item, 0)
        moving = kits["moving"].get(item, 0)
        row: Row = {
            "item_id": item,
            "received": parts["received"].get(item, 0),
            "in_stock": parts["in_stock"].get(item, 0) + sum(placed.get(item, {}).values()),
            "in_transit": parts["in_transit"].get(item, 0) + moving,
            "distributed": parts["distributed"].get(item, 0) + handed,
            "lost": parts["lost"].get(item, 0) + lost,
            "in_kits": kits["assembled"].get(item, 0) - handed - lost,
            "in_kits_in_transit": moving,
        }
        # a count that found units later lost inside kits nets every part to 0: the row
        # stays for its kits' shares, which the totals count
        if handed or lost or any(value for name, value in row.items() if name != "item_id"):
            rows.append(row | {"through_kits": {"units_handed": handed, "units_lost": lost}})
    return rows
