"""What a location's history costs its stock writer: folding one more distribution into a
location that has seen many against one that has seen few.

`python -m bench.decider_state` needs no Kafka and no database. The stock writer keeps, per
location, every entry it may be asked to void (a receipt, a count, each distribution…), so a
busy site's state grows with its campaign. The figure is µs of CPU per `StockDistributed`
folded into a location already holding `AID_BENCH_STATE_ENTRIES` entries (100,000: a large
site over a long campaign), against the same into a location holding 1,000, in the same run;
a ratio near 1 means the fold does not grow with the history.
"""

from __future__ import annotations

from typing import Any

from bench.common import machine, report, size
from bench.signing import per_event
from events.stock import StockDistributed, StockReceived
from services.domain.stock.state import LocationStock, evolve

SITE = "bench-site"
FOLDED = 2_000


def distributed(n: int) -> StockDistributed:
    return StockDistributed(distribution_id=f"bench-d-{n}", location_id=SITE,
                            item_id="bench-item", lot="L1", quantity=1,
                            campaign_id="bench-campaign", region_code="01")  # fmt: skip


def location_with(entries: int) -> LocationStock:
    """A location that received its stock once and handed it out `entries - 1` times."""
    state = evolve(LocationStock(), StockReceived(receipt_id="bench-r", location_id=SITE,
                                                  item_id="bench-item", lot="L1",
                                                  quantity=10 * entries))  # fmt: skip
    for n in range(entries - 1):
        state = evolve(state, distributed(n))
    return state


def fold_cost(state: LocationStock, events: list[StockDistributed]) -> float:
    """µs per event folding `events` one after the other into `state`."""

    def fold() -> LocationStock:
        folded = state
        for event in events:
            folded = evolve(folded, event)
        return folded

    return per_event(fold, len(events))


def main() -> dict[str, Any]:
    entries = size("state_entries", 100_000)
    more = [distributed(entries + n) for n in range(FOLDED)]
    small = fold_cost(location_with(1_000), more)
    large = fold_cost(location_with(entries), more)
    figures = {
        "entries": entries,
        "fold_us_per_event": large,
        "baseline_fold_us_per_event_at_1000_entries": small,
        "ratio": round(large / small, 2) if small else None,
    }
    return report("stock writer's fold against a location's history", figures, machine())


if __name__ == "__main__":
    main()
