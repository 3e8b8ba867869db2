"""Every projection ends in the same rows whatever order its partitions are read in.

A realistic log of every stream (tests/support/aid_log.py) is applied once event by event
in the order it happened, then again with its partitions merged in a random order (each
partition kept in its own order) and cut into batches of random sizes; every table of
every projection must hold the same rows both times. SQLite in memory, no broker.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.pool import StaticPool

from events.stock import (
    StockReceived,
    TransferDiscrepancyRecorded,
    TransferDispatched,
    TransferLine,
    TransferReceived,
)
from projections.inventory_writer import USES
from projections.relief_queries import trace
from projections.tables import metadata, stock_movements, stock_use_days
from tests.support.aid_log import (
    START,
    AidLog,
    batches,
    forget,
    interleaving,
    one_by_one,
    project,
    projected,
    simulate,
)

CASABLANCA, AMIZMIZ = "wh-casablanca", "site-amizmiz"  # partitions 0 and 2


@given(seed=st.integers(0, 2**32 - 1), reader_seed=st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_any_interleaving_of_partitions_in_any_batches_gives_the_rows_of_the_log_in_order(
    seed: int, reader_seed: int
) -> None:
    log = simulate(random.Random(seed), steps=80)
    reader = random.Random(reader_seed)
    in_order = projected(one_by_one(log.messages))
    assert projected(batches(interleaving(log, reader), reader)) == in_order


@given(seed=st.integers(0, 2**32 - 1), reader_seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20, deadline=None)
def test_the_use_kept_per_day_is_the_stock_cards_uses_summed_per_day_and_after_a_rebuild(
    seed: int, reader_seed: int
) -> None:
    """Whatever the interleaving and batches, each location × item × day holds what its
    stock-card lines of use (handed out, dispatched, voided, returned) add up to, and a
    rebuild from the log gives the same rows."""
    log = simulate(random.Random(seed), steps=80)
    reader = random.Random(reader_seed)
    engine = create_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine)
    project(engine, batches(interleaving(log, reader), reader))
    kept = use_days(engine)
    assert kept == summed_from_the_card(engine)
    # A log that hands out and sends on nothing (seed 136525) says nothing about the use:
    # Hypothesis draws another, and fails the test if it rarely finds one that does.
    assume(any(used for used in kept.values()))
    forget(engine)
    project(engine, one_by_one(log.messages))
    assert use_days(engine) == kept
    engine.dispose()


def use_days(engine: Engine) -> dict[tuple[str, str, str], int]:
    with engine.connect() as conn:
        rows = conn.execute(select(stock_use_days))
        return {(r.location_id, r.item_id, r.day.isoformat()): r.used for r in rows}


def summed_from_the_card(engine: Engine) -> dict[tuple[str, str, str], int]:
    summed: dict[tuple[str, str, str], int] = {}
    with engine.connect() as conn:
        for r in conn.execute(select(stock_movements).where(stock_movements.c.kind.in_(USES))):
            key = (r.location_id, r.item_id, r.occurred_at.date().isoformat())
            summed[key] = summed.get(key, 0) - r.quantity
    return summed


def test_a_transfer_received_before_its_dispatch_is_projected_ends_received() -> None:
    """Given 120 baskets sent from Casablanca to Amizmiz, 100 arriving and 20 lost, when the
    site's partition is read before the warehouse's (after downtime, or in a rebuild), then
    the transfer still ends received with its lines whole, as when read in order."""
    log = AidLog()
    basket = {"item_id": "food-basket", "lot": "RB-1", "donation_id": "don-1"}
    route = {"transfer_id": "tr-1", "from_location_id": CASABLANCA, "to_location_id": AMIZMIZ}
    received = StockReceived(receipt_id="rc-1", location_id=CASABLANCA, quantity=120, **basket)
    log.append(received, "rc-1", START)
    sent = TransferLine(quantity=120, **basket)
    log.append(TransferDispatched(lines=[sent], **route), "tr-1", START + timedelta(hours=1))
    arrived = TransferReceived(lines=[sent.model_copy(update={"quantity": 100})], **route)
    lost = TransferDiscrepancyRecorded(missing=20, **route, **basket)
    log.append(arrived, "tr-1:arrival", START + timedelta(days=1))
    log.append(lost, "tr-1:arrival", START + timedelta(days=1), index=1)
    site_first = sorted(log.messages, key=lambda m: m.partition != log.messages[-1].partition)

    rows = projected(one_by_one(site_first))

    assert rows == projected(one_by_one(log.messages))
    assert [(r.status, r.dispatched_at is not None) for r in rows["transfers"]] == [
        ("received", True)
    ]
    assert [(r.dispatched, r.received, r.missing) for r in rows["transfer_lines"]] == [
        (120, 100, 20)
    ]


@given(seed=st.integers(0, 2**32 - 1))
@example(seed=1259)  # 18 kits of a lot of 9 found 9 more sent on their way
@example(seed=28)  # a receipt voided, 2 units found by a count, put in a kit, the kit lost
@settings(max_examples=25, deadline=None)
def test_every_donations_trace_adds_up_to_the_gift_whatever_became_of_it(seed: int) -> None:
    """Receipts, transfers, losses, voids, distributions, and baskets assembled from a
    donation's flour and broken up again: in stock, in transit, distributed, lost and
    inside kits always add up to what was received, never below zero; what sits inside kits
    on their way is part of what is inside kits."""
    log = simulate(random.Random(seed), steps=120)
    engine = create_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine)
    project(engine, one_by_one(log.messages))
    donations = {
        m.event.donation_id
        for m in log.messages
        if isinstance(m.event, StockReceived) and m.event.donation_id
    }
    for donation_id in sorted(donations):
        found = trace(engine, donation_id)
        stocked = sum(at["quantity"] for at in found["in_stock"])
        # kits in stock or on their way count in `in_stock` and `in_transit`
        parts = (stocked, found["in_transit"], found["distributed"]["quantity"], found["lost"])
        assert sum(parts) == found["received"], (donation_id, found)
        in_kits_at = sum(at["in_kits"] for at in found["in_stock"])
        assert in_kits_at == found["in_kits"] - found["in_kits_in_transit"], (donation_id, found)
        assert found["in_kits"] >= 0 and found["through_kits"]["units_handed"] >= 0
        assert 0 <= found["in_kits_in_transit"] <= found["in_kits"], (donation_id, found)
        assert_items_sum_to_the_totals(found)
    engine.dispose()


def assert_items_sum_to_the_totals(found: dict[str, Any]) -> None:
    """Item by item, the parts add up to what was received, and each part summed over the
    items is the trace's total."""
    items = found["items"]
    assert [i["item_id"] for i in items] == sorted({i["item_id"] for i in items})
    for item in items:
        parts = ("in_stock", "in_transit", "distributed", "lost")
        assert sum(item[p] for p in parts) == item["received"], (found["donation_id"], item)
        assert item["in_kits"] >= 0, (found["donation_id"], item)
    totals = {
        "received": found["received"],
        "in_stock": sum(at["quantity"] for at in found["in_stock"]),
        "in_transit": found["in_transit"],
        "distributed": found["distributed"]["quantity"],
        "lost": found["lost"],
        "in_kits": found["in_kits"],
        "in_kits_in_transit": found["in_kits_in_transit"],
    }
    assert {name: sum(i[name] for i in items) for name in totals} == totals, found
    for name in ("units_handed", "units_lost"):
        shared = sum(i["through_kits"][name] for i in items)
        assert shared == found["through_kits"][name], found
