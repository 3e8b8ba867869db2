"""The donor trace's fold alone, on readings written by hand (no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from projections.donor_trace import TraceReading, trace_of

WHEN = datetime(2026, 3, 2, 10, tzinfo=UTC)
AREA = ("MA07", "MA0701", "ramadan")


def reading(**parts: object) -> TraceReading:
    empty: dict[str, object] = {
        "received": {}, "stocked": [], "moving": [], "adjusted": {}, "handed": [],
        "held": {}, "kits_handed": [], "kits_lost": {}, "kits_moving": {}, "kits_stocked": [],
    }  # fmt: skip
    return TraceReading(**(empty | parts))  # type: ignore[arg-type]


def adds_up(found: dict[str, object]) -> bool:
    """The contract's parts, and nothing else, sum to `received` (in total and per item)."""

    def parts(t: dict[str, Any], in_stock: int, distributed: int) -> int:
        return int(in_stock + t["in_transit"] + distributed + t["lost"])

    trace: dict[str, Any] = dict(found)
    total = parts(trace, sum(s["quantity"] for s in trace["in_stock"]),
                  trace["distributed"]["quantity"])  # fmt: skip
    return total == trace["received"] and all(
        parts(i, i["in_stock"], i["distributed"]) == i["received"] for i in trace["items"]
    )


def test_a_kit_handed_out_takes_its_share_of_the_gift_rounded_down_and_the_rest_stays_in_kits() -> (
    None
):
    # 10 kg of flour went into a lot of 3 baskets at Casablanca; one basket was handed out:
    # 10/3 kg of it. The rest is in the two baskets still in stock there.
    found = trace_of(
        "don-1",
        reading(
            received={"flour": 10},
            held={("basket", "KB-1", "flour"): {"units": 10, "kits": 3}},
            kits_handed=[(("basket", "KB-1"), 1, *AREA, WHEN, "hh-1")],
            kits_stocked=[(("basket", "KB-1"), "wh-casa", 2, 3)],
        ),
    )
    assert (found["received"], found["in_kits"]) == (10, 7)
    assert found["in_stock"] == [{"location_id": "wh-casa", "quantity": 7, "in_kits": 7}]
    assert adds_up(found)
    assert found["through_kits"]["units_handed"] == 3
    assert found["distributed"]["quantity"] == 3
    assert found["distributed"]["by_region"] == [
        {"region_code": "MA07", "quantity": 3, "households": 1}
    ]
    assert found["items"] == [
        {"item_id": "flour", "received": 10, "in_stock": 7, "in_transit": 0, "distributed": 3,
         "lost": 0, "in_kits": 7, "in_kits_in_transit": 0,
         "through_kits": {"units_handed": 3, "units_lost": 0}},
    ]  # fmt: skip


def test_every_total_is_the_sum_of_its_items() -> None:
    # Flour and oil in one lot of 4 baskets; two handed out, one lost on the way, one moving.
    found = trace_of(
        "don-1",
        reading(
            received={"flour": 7, "oil": 5, "rice": 2},
            stocked=[("wh-casa", "rice", 1)],
            moving=[("rice", 1, 0)],
            held={("basket", "KB-1", "flour"): {"units": 7, "kits": 4},
                  ("basket", "KB-1", "oil"): {"units": 5, "kits": 4}},
            kits_handed=[(("basket", "KB-1"), 2, *AREA, WHEN, "hh-1")],
            kits_lost={("basket", "KB-1"): 1},
            kits_moving={("basket", "KB-1"): 1},
        ),
    )  # fmt: skip
    for part in ("received", "in_transit", "lost", "in_kits", "in_kits_in_transit"):
        assert found[part] == sum(row[part] for row in found["items"]), part
    assert sum(s["quantity"] for s in found["in_stock"]) == sum(
        r["in_stock"] for r in found["items"]
    )
    assert found["distributed"]["quantity"] == sum(r["distributed"] for r in found["items"]) == 6
    assert found["lost"] == 3  # 12/4 units in the lost basket
    assert (found["in_transit"], found["in_kits_in_transit"]) == (4, 3)  # 1 rice + 1 basket
    assert adds_up(found)


def test_baskets_at_two_warehouses_count_the_gift_in_stock_at_each() -> None:
    # 100 kg of flour in 10 baskets: 2 handed out, 3 still at Casablanca, 5 sent on to
    # Marrakech; 20 kg never went into baskets and stay at Casablanca.
    found = trace_of(
        "don-1",
        reading(
            received={"flour": 120},
            stocked=[("wh-casa", "flour", 20)],
            held={("basket", "KB-1", "flour"): {"units": 100, "kits": 10}},
            kits_handed=[(("basket", "KB-1"), 2, *AREA, WHEN, "hh-1")],
            kits_stocked=[(("basket", "KB-1"), "wh-casa", 3, 10),
                          (("basket", "KB-1"), "wh-marrakech", 5, 0)],
        ),
    )  # fmt: skip
    assert found["in_stock"] == [
        {"location_id": "wh-casa", "quantity": 50, "in_kits": 30},
        {"location_id": "wh-marrakech", "quantity": 50, "in_kits": 50},
    ]
    assert (found["in_kits"], found["distributed"]["quantity"]) == (80, 20)
    assert adds_up(found)


def test_what_rounding_leaves_of_baskets_all_gone_counts_where_they_were_assembled() -> None:
    # 10 kg in 3 baskets made at Casablanca: two handed out (6 of 6.67 kg), one on its way
    # (3 of 3.33 kg); the kilogram rounding leaves is counted in stock at Casablanca.
    found = trace_of(
        "don-1",
        reading(
            received={"flour": 10},
            held={("basket", "KB-1", "flour"): {"units": 10, "kits": 3}},
            kits_handed=[(("basket", "KB-1"), 2, *AREA, WHEN, "hh-1")],
            kits_moving={("basket", "KB-1"): 1},
            kits_stocked=[(("basket", "KB-1"), "wh-casa", 0, 3),
                          (("basket", "KB-1"), "wh-marrakech", 0, 0)],
        ),
    )  # fmt: skip
    assert found["in_stock"] == [{"location_id": "wh-casa", "quantity": 1, "in_kits": 1}]
    assert (found["in_transit"], found["distributed"]["quantity"], found["in_kits"]) == (3, 6, 4)
    assert adds_up(found)


def test_a_gift_never_put_in_baskets_adds_up_as_before() -> None:
    found = trace_of(
        "don-1",
        reading(
            received={"flour": 100},
            stocked=[("wh-casa", "flour", 60), ("wh-marrakech", "flour", 10)],
            moving=[("flour", 15, 5)],
            adjusted={"flour": -2},
            handed=[("flour", 8, *AREA, WHEN, "hh-1")],
        ),
    )
    assert found["in_stock"] == [
        {"location_id": "wh-casa", "quantity": 60, "in_kits": 0},
        {"location_id": "wh-marrakech", "quantity": 10, "in_kits": 0},
    ]
    assert (found["in_transit"], found["lost"], found["in_kits"]) == (15, 7, 0)
    assert adds_up(found)
