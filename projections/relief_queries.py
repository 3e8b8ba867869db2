"""Read-side queries for relief: operations, deployments, donations and donor traces."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from fractions import Fraction
from math import floor
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select, tuple_

from projections.paging import EVERYTHING, Page, Paging, Sort, read_page
from projections.queries import fetch_all
from projections.tables import (
    deployments,
    distributions,
    donations,
    donors,
    kit_lot_donations,
    kit_lots,
    lot_distributions,
    operations,
    stock_movements,
    transfer_lines,
)
from projections.trace_items import KitLot, by_item, items_of, kit_shares_by_item

RECEIPT_KINDS = ("StockReceived", "StockReceiptVoided")
LOSS_KINDS = ("StockAdjusted", "StockCounted", "StockAdjustmentVoided", "StockCountVoided")


def all_operations(engine: Engine, paging: Paging = EVERYTHING) -> Page:
    by_id = [Sort(operations.c.operation_id, "operation_id")]
    return read_page(engine, select(operations), by_id, paging)


def operation(engine: Engine, operation_id: str) -> dict[str, Any] | None:
    rows = fetch_all(engine, select(operations).where(operations.c.operation_id == operation_id))
    return rows[0] if rows else None


def all_donors(
    engine: Engine, donor_ids: list[str] | None = None, paging: Paging = EVERYTHING
) -> Page:
    stmt = select(donors)
    if donor_ids is not None:
        stmt = stmt.where(donors.c.donor_id.in_(donor_ids))
    return read_page(engine, stmt, [Sort(donors.c.donor_id, "donor_id")], paging)


def donor(engine: Engine, donor_id: str) -> dict[str, Any] | None:
    rows = fetch_all(engine, select(donors).where(donors.c.donor_id == donor_id))
    return rows[0] if rows else None


def donation(engine: Engine, donation_id: str) -> dict[str, Any] | None:
    rows = fetch_all(engine, select(donations).where(donations.c.donation_id == donation_id))
    return rows[0] if rows else None


def donations_of(engine: Engine, donor_ids: list[str] | None, paging: Paging = EVERYTHING) -> Page:
    """Donations, the latest received first."""
    d = donations
    stmt = select(d)
    if donor_ids is not None:
        stmt = stmt.where(d.c.donor_id.in_(donor_ids))
    latest_first = [
        Sort(d.c.received_at, "received_at", descending=True),
        Sort(d.c.donation_id, "donation_id", descending=True),
    ]
    return read_page(engine, stmt, latest_first, paging)


def deployment_board(engine: Engine, operation_id: str | None, paging: Paging = EVERYTHING) -> Page:
    d = deployments
    stmt = select(d)
    if operation_id:
        stmt = stmt.where(d.c.operation_id == operation_id)
    order = [Sort(d.c.planned_at, "planned_at"), Sort(d.c.deployment_id, "deployment_id")]
    return read_page(engine, stmt, order, paging)


def deployment(engine: Engine, deployment_id: str) -> dict[str, Any] | None:
    rows = fetch_all(
        engine, select(deployments).where(deployments.c.deployment_id == deployment_id)
    )
    return rows[0] if rows else None


def trace(engine: Engine, donation_id: str) -> dict[str, Any]:
    """Where a donation's units are: in stock, in transit, distributed, lost, or inside kits
    in stock or on their way (the parts add up to what was received); `in_kits_in_transit`
    is the part of `in_kits` inside kits on their way. `items` gives the same parts item by
    item (a cash donation buys several), sorted by item; each part's items sum to its total.

    A kit lot holds `units` of the donation in `kits` kits: each of its kits carries
    units / kits of it, so the kits handed out (or lost) take that share to the households
    (or the losses). Shares are summed exactly and rounded down once, per part and per row of
    each breakdown; what rounding leaves stays counted inside kits. Item by item, a part's
    rounded total is shared out by largest remainder (see `apportion`)."""
    m, t = stock_movements, transfer_lines
    ours = m.c.donation_id == donation_id
    with engine.connect() as conn:
        received = by_item(conn.execute(
            select(m.c.item_id, func.sum(m.c.quantity))
            .where(ours, m.c.kind.in_(RECEIPT_KINDS)).group_by(m.c.item_id)
        ).all())  # fmt: skip
        stocked = conn.execute(
            select(m.c.location_id, m.c.item_id, func.sum(m.c.quantity))
            .where(ours)
            .group_by(m.c.location_id, m.c.item_id)
            .order_by(m.c.location_id)
        ).all()
        moving = conn.execute(
            select(t.c.item_id,
                   func.sum(t.c.dispatched - t.c.received - t.c.missing - t.c.returned),
                   func.sum(t.c.missing))
            .where(t.c.donation_id == donation_id).group_by(t.c.item_id)
        ).all()  # fmt: skip
        adjusted = by_item(conn.execute(
            select(m.c.item_id, func.sum(m.c.quantity))
            .where(ours, m.c.kind.in_(LOSS_KINDS)).group_by(m.c.item_id)
        ).all())  # fmt: skip
        handed = list(
            _handed(
                conn, lot_distributions.c.donation_id == donation_id, lot_distributions.c.item_id
            )
        )
        held = _kit_lots(conn, donation_id)
        kits = _per_kit_lot(held)
        in_kits_handed = _kits_handed(conn, kits)
        kits_lost = _kits_lost(conn, kits)
        kits_moving = _kits_in_transit(conn, kits)
    in_transit = by_item([(item, n) for item, n, _ in moving])
    missing = by_item([(item, n) for item, _, n in moving])
    in_stock: Counter[str] = Counter()
    for loc, _, q in stocked:
        in_stock[loc] += int(q or 0)

    kits_lost = {k: max(n, 0) for k, n in kits_lost.items()}  # found beyond losses: none
    gone = Counter(kits_lost)  # kits handed out, lost or on their way
    for k, q, *_ in in_kits_handed:
        gone[k] += q
    for k, n in kits_moving.items():
        gone[k] += max(n, 0)

    def spread(kit_lot: KitLot) -> int:
        """The kits a lot's units are spread over: those assembled, or every kit handed out,
        lost or on its way when a count found more than were assembled (which of them were
        found nobody knows), so those kits never carry more than the lot held."""
        return max(kits[kit_lot]["kits"], gone[kit_lot])

    def share(kit_lot: KitLot, n: int) -> Fraction:
        """The donation's units in `n` kits of the lot."""
        return Fraction(n * kits[kit_lot]["units"], spread(kit_lot))

    share_handed = [(share(k, q), *rest) for k, q, *rest in in_kits_handed]
    units_handed = floor(sum((row[0] for row in share_handed), Fraction(0)))
    units_lost = floor(sum((share(k, n) for k, n in kits_lost.items()), Fraction(0)))
    assembled = sum(lot["units"] for lot in kits.values())
    in_kits = assembled - units_handed - units_lost
    units_moving = floor(sum((share(k, n) for k, n in kits_moving.items()), Fraction(0)))
    parts = {
        "received": received, "in_transit": in_transit,
        "in_stock": by_item([(item, q) for _, item, q in stocked]),
        "lost": {i: missing.get(i, 0) - adjusted.get(i, 0) for i in missing | adjusted},
        "distributed": by_item([(item, q) for item, q, *_ in handed]),
    }  # fmt: skip
    through = kit_shares_by_item(
        held, spread, [(k, q) for k, q, *_ in in_kits_handed], kits_lost.items(),
        kits_moving.items(), (units_handed, units_lost, units_moving),
    )  # fmt: skip
    return {
        "donation_id": donation_id,
        "received": sum(received.values()),
        "in_stock": [{"location_id": loc, "quantity": q} for loc, q in in_stock.items() if q],
        "in_transit": sum(in_transit.values()),
        "distributed": _distributed([(Fraction(r[1]), *r[2:]) for r in handed] + share_handed),
        "lost": sum(missing.values()) - sum(adjusted.values()) + units_lost,
        "in_kits": in_kits,
        "in_kits_in_transit": units_moving,
        "through_kits": {
            "lots": [
                {"kit_item_id": kit, "lot": lot, "item_id": item, **figures}
                for (kit, lot, item), figures in sorted(held.items())
            ],
            "units_handed": units_handed,
            "units_lost": units_lost,
            "kits_handed": _distributed([(Fraction(q), *rest) for _, q, *rest in in_kits_handed]),
        },
        "items": items_of(parts, through),
    }


def donation_offsets(engine: Engine, donation_id: str) -> dict[int, tuple[int, int]]:
    """Partition of the stock topic -> (first, last) offsets of the events that moved the
    donation's stock there (what a proof of its trace starts from)."""
    m = stock_movements
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.c.partition, func.min(m.c.offset), func.max(m.c.offset))
            .where(m.c.donation_id == donation_id)
            .group_by(m.c.partition)
        ).all()
    return {int(p): (int(first), int(last)) for p, first, last in rows}


def _handed(conn: Connection, which: Any, *first: Any) -> Sequence[Any]:
    """The lot distributions `which` selects: (`first` columns,) quantity, area, campaign,
    time and household."""
    ld, d = lot_distributions, distributions
    return conn.execute(
        select(
            *first,
            ld.c.quantity,
            ld.c.region_code,
            ld.c.province_code,
            ld.c.campaign_id,
            ld.c.occurred_at,
            func.coalesce(d.c.household_id, ld.c.distribution_id),
        )
        .select_from(ld.outerjoin(d, d.c.distribution_id == ld.c.distribution_id))
        .where(which)
    ).all()


def _kit_lots(conn: Connection, donation_id: str) -> dict[tuple[str, str, str], dict[str, int]]:
    """(kit item, lot, donated item) -> the donation's units of that item in the kit lot and
    the lot's kits, for the kit lots holding some of the donation."""
    kd, kl = kit_lot_donations, kit_lots
    rows = conn.execute(
        select(kd.c.kit_item_id, kd.c.lot, kd.c.item_id, kd.c.units, kl.c.kits)
        .select_from(kd.join(kl, and_(kl.c.kit_item_id == kd.c.kit_item_id, kl.c.lot == kd.c.lot)))
        .where(kd.c.donation_id == donation_id, kd.c.units != 0, kl.c.kits > 0)
    ).all()
    return {(kit, lot, item): {"units": int(units), "kits": int(kits)}
            for kit, lot, item, units, kits in rows}  # fmt: skip


def _per_kit_lot(held: dict[tuple[str, str, str], dict[str, int]]) -> dict[KitLot, dict[str, int]]:
    """The donation's units in each kit lot (all its items together) and the lot's kits."""
    found: dict[KitLot, dict[str, int]] = {}
    for (kit, lot, _), figures in held.items():
        lot_of = found.setdefault((kit, lot), {"units": 0, "kits": figures["kits"]})
        lot_of["units"] += figures["units"]
    return found


def _kits_handed(conn: Connection, kits: dict[KitLot, dict[str, Any]]) -> list[Any]:
    """The distributions of those kit lots, each as ((kit, lot), kits handed, area, campaign,
    time, household)."""
    if not kits:
        return []
    ld = lot_distributions
    rows = _handed(conn, tuple_(ld.c.item_id, ld.c.lot).in_(list(kits)), ld.c.item_id, ld.c.lot)
    return [((kit, lot), *rest) for kit, lot, *rest in rows]


def _kits_lost(conn: Connection, kits: dict[KitLot, dict[str, Any]]) -> dict[KitLot, int]:
    """Kits of those lots missing on the way or adjusted away (found ones count back)."""
    if not kits:
        return {}
    m, t = stock_movements, transfer_lines
    lost = dict.fromkeys(kits, 0)
    missing = conn.execute(
        select(t.c.item_id, t.c.lot, func.sum(t.c.missing))
        .where(tuple_(t.c.item_id, t.c.lot).in_(list(kits)))
        .group_by(t.c.item_id, t.c.lot)
    ).all()
    adjusted = conn.execute(
        select(m.c.item_id, m.c.lot, func.sum(m.c.quantity))
        .where(tuple_(m.c.item_id, m.c.lot).in_(list(kits)), m.c.kind.in_(LOSS_KINDS))
        .group_by(m.c.item_id, m.c.lot)
    ).all()
    for kit, lot, n in missing:
        lost[(kit, lot)] += int(n or 0)
    for kit, lot, n in adjusted:
        lost[(kit, lot)] -= int(n or 0)
    return lost


def _kits_in_transit(conn: Connection, kits: dict[KitLot, dict[str, Any]]) -> dict[KitLot, int]:
    """Kits of those lots on a transfer or a convoy: dispatched, not yet received, found
    missing or sent back."""
    if not kits:
        return {}
    t = transfer_lines
    moving = conn.execute(
        select(t.c.item_id, t.c.lot,
               func.sum(t.c.dispatched - t.c.received - t.c.missing - t.c.returned))
        .where(tuple_(t.c.item_id, t.c.lot).in_(list(kits)))
        .group_by(t.c.item_id, t.c.lot)
    ).all()  # fmt: skip
    return {(kit, lot): int(n or 0) for kit, lot, n in moving}


def _distributed(rows: Sequence[Any]) -> dict[str, Any]:
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
    summary: dict[str, Any] = {
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
