"""The donor trace's fold alone, on readings written by hand (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from projections.donor_trace import TraceReading, trace_of

WHEN = datetime(2026, 3, 2, 10, tzinfo=UTC)
AREA = ("MA07", "MA0701", "ramadan")


def reading(**parts: object) -> TraceReading:
    empty: dict[str, object] = {
        "received": {}, "stocked": [], "moving": [], "adjusted": {}, "handed": [],
        "held": {}, "kits_handed": [], "kits_lost": {}, "kits_moving": {},
    }  # fmt: skip
    return TraceReading(**(empty | parts))  # type: ignore[arg-type]


def test_a_kit_handed_out_takes_its_share_of_the_gift_rounded_down_and_the_rest_stays_in_kits() -> (
    None
):
    # 10 kg of flour went into a lot of 3 baskets; one basket was handed out: 10/3 kg of it.
    found = trace_of(
        "don-1",
        reading(
            received={"flour": 10},
            held={("basket", "KB-1", "flour"): {"units": 10, "kits": 3}},
            kits_handed=[(("basket", "KB-1"), 1, *AREA, WHEN, "hh-1")],
        ),
    )
    assert (found["received"], found["in_kits"]) == (10, 7)
    assert found["through_kits"]["units_handed"] == 3
    assert found["distributed"]["quantity"] == 3
    assert found["distributed"]["by_region"] == [
        {"region_code": "MA07", "quantity": 3, "households": 1}
    ]
    assert found["items"] == [
        {"item_id": "flour", "received": 10, "in_stock": 0, "in_transit": 0, "distributed": 3,
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
    assert found["distributed"]["quantity"] == sum(r["distributed"] for r in found["items"]) == 6
    assert found["lost"] == 3  # 12/4 units in the lost basket
    assert (
        found["received"]
        == found["in_transit"]
        + sum(s["quantity"] for s in found["in_stock"])
        + found["distributed"]["quantity"]
        + found["lost"]
        + found["in_kits"]
    )
