"""What a site's history costs its writers: folding one more event into a site that has
seen many against one that has seen few.

`python -m bench.decider_state` needs no Kafka and no database. The stock writer keeps, per
location, every entry it may be asked to void (a receipt, a count, each distribution…), and
the slots writer every household a site expects, so a busy site's state grows with its
campaign. The figures are µs of CPU per `StockDistributed` folded into a location already
holding `AID_BENCH_STATE_ENTRIES` entries (100,000: a large site over a long campaign), and
per `HouseholdsExpected` (one household, as the registration policy offers it) folded into a
site already expecting as many households, each against the same into a state of 1,000, in
the same run; a ratio near 1 means the fold does not grow with the history. Then the lots: µs
per distribution's consumption (`ConsumeForDistribution` decided, its events folded) at a
warehouse holding `AID_BENCH_STATE_LOTS` lots of 40 items (2,000), against one holding a lot
of each item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from bench.common import machine, report, size
from bench.signing import per_event
from events import Event
from events.slots import ExpectedHousehold, HouseholdsExpected
from events.stock import StockDistributed, StockReceived
from services.domain.slots.state import SiteSlots
from services.domain.slots.state import evolve as evolve_slots
from services.domain.stock.commands import ConsumeForDistribution
from services.domain.stock.decider import decide
from services.domain.stock.state import LocationStock, evolve

S = TypeVar("S")

SITE = "bench-site"
FOLDED = 2_000
ITEMS = 40


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


def location_holding(lots: int) -> LocationStock:
    """A location that received `lots` lots, spread over ITEMS items, each expiring apart."""
    state = LocationStock()
    for n in range(lots):
        received = StockReceived(receipt_id=f"bench-r-{n}", location_id=SITE,
                                 item_id=f"bench-item-{n % ITEMS}", lot=f"L{n}",
                                 quantity=10_000_000,
                                 expires_on=date(2030, 1, 1) + timedelta(days=n))  # fmt: skip
        state = evolve(state, received)
    return state


def consumption_cost(state: LocationStock, commands: Sequence[ConsumeForDistribution]) -> float:
    """µs per consumption decided against `state` and folded into it, one after the other."""
    now = datetime.now(UTC)

    def consume() -> LocationStock:
        held = state
        for command in commands:
            for event in decide(held, command, now):
                held = evolve(held, event)
        return held

    return per_event(consume, len(commands))


def against_lots(lots: int) -> dict[str, float | None]:
    commands = [ConsumeForDistribution(distribution_id=f"bench-d-{n}", site_id=SITE,
                                       item_id=f"bench-item-{n % ITEMS}", quantity=1,
                                       campaign_id="bench-campaign", region_code="01")
                for n in range(FOLDED)]  # fmt: skip
    small = consumption_cost(location_holding(ITEMS), commands)
    large = consumption_cost(location_holding(lots), commands)
    return {
        "consumption_us": large,
        f"baseline_consumption_us_at_{ITEMS}_lots": small,
        "ratio": round(large / small, 2) if small else None,
    }


def expected(n: int) -> ExpectedHousehold:
    return ExpectedHousehold(household_id=f"bench-h-{n}", region_code="MA07",
                             groups=["children"], precarity_score=40.0)  # fmt: skip


def offered(n: int) -> HouseholdsExpected:
    return HouseholdsExpected(site_id=SITE, households=[expected(n)])


def site_expecting(households: int) -> SiteSlots:
    """A site that was offered `households` households, a thousand at a time."""
    state = SiteSlots()
    for first in range(0, households, 1_000):
        batch = [expected(n) for n in range(first, min(households, first + 1_000))]
        state = evolve_slots(state, HouseholdsExpected(site_id=SITE, households=batch))
    return state


def fold_cost(evolve_one: Callable[[S, Event], S], state: S, events: Sequence[Event]) -> float:
    """µs per event folding `events` one after the other into `state`."""

    def fold() -> S:
        folded = state
        for event in events:
            folded = evolve_one(folded, event)
        return folded

    return per_event(fold, len(events))


def against_history(
    evolve_one: Callable[[S, Event], S], built: Callable[[int], S], more: Sequence[Event], n: int
) -> dict[str, float | None]:
    small = fold_cost(evolve_one, built(1_000), more)
    large = fold_cost(evolve_one, built(n), more)
    return {
        "fold_us_per_event": large,
        "baseline_fold_us_per_event_at_1000": small,
        "ratio": round(large / small, 2) if small else None,
    }


def main() -> dict[str, Any]:
    entries = size("state_entries", 100_000)
    distributions = [distributed(entries + n) for n in range(FOLDED)]
    offers = [offered(entries + n) for n in range(FOLDED)]
    figures = {
        "entries": entries,
        "stock_location": against_history(evolve, location_with, distributions, entries),
        "site_expected_households": against_history(evolve_slots, site_expecting, offers, entries),
        "lots": size("state_lots", 2_000),
    }
    figures["warehouse_lots"] = against_lots(figures["lots"])
    return report("writers' folds against a site's history", figures, machine())


if __name__ == "__main__":
    main()
