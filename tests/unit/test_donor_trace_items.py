"""The donor trace item by item, folded from the stock log, with answers worked out by hand.

The Fondation Atlas gives 100 sacks of flour and 60 bottles of oil under one donation; the
Croissant-Rouge gives 20,000 dirhams, which buy 40 sacks of flour and 100 bottles of oil,
some put into three Ramadan baskets. Some of each item is sent on its way, some handed out,
some lost. Summed over items the trace's units mean nothing (140 "units" of flour and oil):
item by item they read right, and each part summed over the items is the trace's total.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from events import Event
from events.kits import ComponentLine, KitsAssembled
from events.stock import (
    StockAdjusted,
    StockDistributed,
    StockReceived,
    TransferDiscrepancyRecorded,
    TransferDispatched,
    TransferLine,
    TransferReceived,
)
from projections.relief_queries import trace
from projections.tables import metadata
from tests.support.aid_log import START, AidLog, one_by_one, project

CASA, AMIZMIZ = "wh-casablanca", "site-amizmiz"
FLOUR, OIL, BASKET = "flour-25kg", "oil-5l", "ramadan-basket"
GOODS, CASH = "don-atlas-1", "don-croissant-cash"
HANDED_OUT = {"campaign_id": "ramadan-al-haouz", "region_code": "MA07",
              "province_code": "MA0701"}  # fmt: skip


def folded(*events: Event) -> Engine:
    """The read models after the events, one an hour, each its own command."""
    log = AidLog()
    for n, event in enumerate(events):
        log.append(event, f"cmd-{n}", START + timedelta(hours=n))
    engine = create_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine)
    project(engine, one_by_one(log.messages))
    return engine


FLOUR_LOT = {"item_id": FLOUR, "lot": "FL-1", "donation_id": GOODS}
OIL_LOT = {"item_id": OIL, "lot": "OIL-1", "donation_id": GOODS}
BOUGHT_FLOUR = {"item_id": FLOUR, "lot": "buy-flour", "donation_id": CASH}
BOUGHT_OIL = {"item_id": OIL, "lot": "buy-oil", "donation_id": CASH}
BASKETS = {"item_id": BASKET, "lot": "KB-1"}
TO_AMIZMIZ = {"from_location_id": CASA, "to_location_id": AMIZMIZ}


def gift_of_two_items() -> list[Event]:
    """100 sacks and 60 bottles: 30 sacks sent, 25 arrive, 5 missing, 10 handed out; 20
    bottles on the road, 4 lost in the warehouse."""
    flour, oil = FLOUR_LOT, OIL_LOT
    return [
        StockReceived(receipt_id="rc-flour", location_id=CASA, quantity=100, **flour),
        StockReceived(receipt_id="rc-oil", location_id=CASA, quantity=60, **oil),
        TransferDispatched(transfer_id="tr-flour", **TO_AMIZMIZ,
                           lines=[TransferLine(quantity=30, **flour)]),
        TransferReceived(transfer_id="tr-flour", **TO_AMIZMIZ,
                         lines=[TransferLine(quantity=25, **flour)]),
        TransferDiscrepancyRecorded(transfer_id="tr-flour", **TO_AMIZMIZ, missing=5, **flour),
        StockDistributed(distribution_id="dist-1", location_id=AMIZMIZ, quantity=10,
                         **flour, **HANDED_OUT),
        TransferDispatched(transfer_id="tr-oil", **TO_AMIZMIZ,
                           lines=[TransferLine(quantity=20, **oil)]),
        StockAdjusted(adjustment_id="adj-oil", location_id=CASA, quantity=-4, reason="lost",
                      **oil),
    ]  # fmt: skip


def cash_spent_on_two_items() -> list[Event]:
    """The purchases received: 40 sacks, 100 bottles; 3 baskets of 10 sacks and 20 bottles
    (10/3 sacks and 20/3 bottles a basket), one handed out and one lost; 5 sacks on the
    road, 30 bottles sent and received, 15 of them handed out, 4 damaged."""
    flour, oil = BOUGHT_FLOUR, BOUGHT_OIL
    return [
        StockReceived(receipt_id="buy-flour", location_id=CASA, quantity=40, **flour),
        StockReceived(receipt_id="buy-oil", location_id=CASA, quantity=100, **oil),
        KitsAssembled(assembly_id="asm-1", location_id=CASA, kit_item_id=BASKET,
                      composition_version=1, quantity=3, lot="KB-1", components=[
                          ComponentLine(quantity=10, **flour), ComponentLine(quantity=20, **oil)]),
        StockDistributed(distribution_id="dist-kit", location_id=CASA, quantity=1,
                         **BASKETS, **HANDED_OUT),
        StockAdjusted(adjustment_id="adj-kit", location_id=CASA, quantity=-1, reason="lost",
                      **BASKETS),
        TransferDispatched(transfer_id="tr-cash", **TO_AMIZMIZ,
                           lines=[TransferLine(quantity=5, **flour),
                                  TransferLine(quantity=30, **oil)]),
        TransferReceived(transfer_id="tr-cash", **TO_AMIZMIZ,
                         lines=[TransferLine(quantity=30, **oil)]),
        StockDistributed(distribution_id="dist-2", location_id=AMIZMIZ, quantity=15,
                         **oil, **HANDED_OUT),
        StockAdjusted(adjustment_id="adj-cash-oil", location_id=CASA, quantity=-4,
                      reason="damaged", **oil),
    ]  # fmt: skip


@pytest.fixture
def engine() -> Iterator[Engine]:
    found = folded(*gift_of_two_items(), *cash_spent_on_two_items())
    yield found
    found.dispose()


def item(item_id: str, **figures: int) -> dict[str, Any]:
    handed, lost = figures.pop("kits_handed", 0), figures.pop("kits_lost", 0)
    nothing = dict.fromkeys(("in_stock", "in_transit", "distributed", "lost", "in_kits",
                             "in_kits_in_transit"), 0)  # fmt: skip
    return {"item_id": item_id, **nothing, **figures,
            "through_kits": {"units_handed": handed, "units_lost": lost}}  # fmt: skip


def test_a_gift_of_flour_and_oil_is_traced_item_by_item(engine: Engine) -> None:
    found = trace(engine, GOODS)

    assert found["items"] == [
        item(FLOUR, received=100, in_stock=85, distributed=10, lost=5),  # 70 + 25 − 10
        item(OIL, received=60, in_stock=36, in_transit=20, lost=4),  # 60 − 20 − 4
    ]
    assert found["received"] == 160
    assert found["in_stock"] == [{"location_id": AMIZMIZ, "quantity": 15, "in_kits": 0},
                                 {"location_id": CASA, "quantity": 106, "in_kits": 0}]  # fmt: skip
    assert (found["in_transit"], found["distributed"]["quantity"], found["lost"]) == (20, 10, 9)


def test_cash_that_bought_flour_and_oil_shows_the_goods_it_bought(engine: Engine) -> None:
    """A basket carries 10/3 sacks and 20/3 bottles: one handed out takes 10 units, 3.33 of
    flour and 6.67 of oil, read as 3 and 7 (the larger remainder takes the unit left); one
    lost the same; the last basket, at Casablanca, holds the rest: 4 sacks and 6 bottles,
    counted in stock there."""
    found = trace(engine, CASH)

    assert found["items"] == [
        # 40 − 10 into baskets − 5 on the road = 25 in stock, and 4 in the basket left
        item(FLOUR, received=40, in_stock=29, in_transit=5, distributed=3, lost=3, in_kits=4,
             kits_handed=3, kits_lost=3),
        # 100 − 20 − 30 − 4 = 46 at Casablanca, 30 − 15 = 15 at Amizmiz, 6 in the basket
        item(OIL, received=100, in_stock=67, distributed=22, lost=11, in_kits=6,
             kits_handed=7, kits_lost=7),
    ]  # fmt: skip
    assert found["received"] == 140
    assert found["in_stock"] == [{"location_id": AMIZMIZ, "quantity": 15, "in_kits": 0},
                                 {"location_id": CASA, "quantity": 81, "in_kits": 10}]  # fmt: skip
    assert all(i["in_stock"] + i["in_transit"] + i["distributed"] + i["lost"] == i["received"]
               for i in found["items"])  # fmt: skip
    assert (found["in_transit"], found["distributed"]["quantity"], found["lost"]) == (5, 25, 14)
    assert found["received"] == 81 + 15 + 5 + 25 + 14
    assert (found["in_kits"], found["through_kits"]["units_handed"]) == (10, 10)
    assert [(k["item_id"], k["units"], k["kits"]) for k in found["through_kits"]["lots"]] == [
        (FLOUR, 10, 3),
        (OIL, 20, 3),
    ]


def test_a_basket_on_its_way_shares_its_units_in_transit_by_item() -> None:
    """The last basket sent to Amizmiz: 10 units on the road, 10/3 sacks and 20/3 bottles.
    Rounded down, 3 and 6; the unit left goes to the flour, though the oil's remainder is
    larger: the oil left inside kits is 6 bottles, and the basket cannot carry 7 of them."""
    on_road = TransferDispatched(transfer_id="tr-kit", **TO_AMIZMIZ,
                                 lines=[TransferLine(quantity=1, **BASKETS)])  # fmt: skip
    engine = folded(*cash_spent_on_two_items(), on_road)

    found = trace(engine, CASH)

    assert (found["in_kits"], found["in_kits_in_transit"]) == (10, 10)
    inside = {i["item_id"]: (i["in_kits"], i["in_kits_in_transit"]) for i in found["items"]}
    assert inside == {FLOUR: (4, 4), OIL: (6, 6)}
    assert (found["in_transit"], sum(s["in_kits"] for s in found["in_stock"])) == (15, 0)  # 5 + 10
    engine.dispose()
