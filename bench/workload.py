"""Synthetic but realistic event logs: receipts, transfers and distributions in rounds.

One round at a warehouse: a lot is received (100 units of a donation), 60 units are
dispatched to a site and received there, and six households get 10 units each at the
site (a StockDistributed on the stock stream and an AidDistributed on the distributions
stream per household). Envelopes are built as JSON directly and signed with the settings'
key ring, the way a decider writes them; the smoke test decodes a sample with the full
validating decoder.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from events.registry import event_class
from events.signing import LedgerKeys
from services.runtime.settings import get_settings

WAREHOUSES = tuple(f"wh-{i:02d}" for i in range(20))
SITES = tuple(f"site-{i:04d}" for i in range(200))
ITEMS = ("ramadan-basket", "flour-25kg", "blanket")
REGIONS = tuple(f"MA{i:02d}" for i in range(1, 13))
CAMPAIGN = "ramadan-2026"
STARTED = datetime(2026, 2, 18, 8, 0, tzinfo=UTC)
ACTOR = {"user_id": "bench.agent", "role": "agent"}

RECEIVED, DISPATCHED, PER_HOUSEHOLD, HOUSEHOLDS_PER_ROUND = 100, 60, 10, 6


@dataclass
class Totals:
    """What a log of whole rounds must project to, computed while it is generated."""

    rounds: int = 0
    stock_events: int = 0
    distribution_events: int = 0

    @property
    def on_hand(self) -> int:
        return self.rounds * (RECEIVED - HOUSEHOLDS_PER_ROUND * PER_HOUSEHOLD)

    @property
    def stock_movements(self) -> int:
        return self.rounds * (3 + HOUSEHOLDS_PER_ROUND)

    @property
    def distributions(self) -> int:
        return self.rounds * HOUSEHOLDS_PER_ROUND

    @property
    def events(self) -> int:
        return self.stock_events + self.distribution_events


def envelope(event_type: str, data: dict[str, Any], when: datetime, command_id: str) -> bytes:
    """An event in its envelope, signed, as JSON bytes."""
    cls = event_class(event_type)
    assert cls is not None, event_type
    moment = when.isoformat()
    raw, _ = _keys().written(
        {
            "event_id": str(uuid.uuid4()),
            "type": event_type,
            "version": cls.VERSION,
            "occurred_at": moment,
            "recorded_at": moment,
            "actor": ACTOR,
            "correlation_id": command_id,
            "causation_id": command_id,
            "data": data,
        }
    )
    return raw


@cache
def _keys() -> LedgerKeys:
    return get_settings().ledger()


def identity(n: int) -> str:
    return f"pseudonym-{n:012d}"


def household_id(n: int) -> str:
    return f"hh-{n:08d}"


def rounds(
    prefix: str, events: int, totals: Totals, with_distributions: bool = True
) -> Iterator[tuple[str, bytes, bytes]]:
    """(topic, key, value) of whole rounds until at least `events` events are written."""
    per_round = 3 + HOUSEHOLDS_PER_ROUND * (2 if with_distributions else 1)
    count = -(-events // per_round)
    for r in range(count):
        yield from _round(prefix, r, with_distributions)
        totals.rounds += 1
        totals.stock_events += 3 + HOUSEHOLDS_PER_ROUND
        totals.distribution_events += HOUSEHOLDS_PER_ROUND if with_distributions else 0


def _round(prefix: str, r: int, with_distributions: bool) -> Iterator[tuple[str, bytes, bytes]]:
    stock = f"{prefix}stock"
    wh, site, item = WAREHOUSES[r % len(WAREHOUSES)], SITES[r % len(SITES)], ITEMS[r % len(ITEMS)]
    lot, donation, transfer = f"lot-{r:08d}", f"donation-{r % 5000:05d}", f"transfer-{r:08d}"
    when = STARTED + timedelta(seconds=r)
    expires = (when + timedelta(days=180)).date().isoformat()
    line = {"item_id": item, "lot": lot, "expires_on": expires, "donation_id": donation,
            "quantity": DISPATCHED}  # fmt: skip
    yield stock, wh.encode(), envelope("StockReceived", {
        "receipt_id": f"receipt-{r:08d}", "location_id": wh, "item_id": item,
        "quantity": RECEIVED, "lot": lot, "expires_on": expires, "donation_id": donation,
    }, when, f"receipt-{r}")  # fmt: skip
    moves = {"transfer_id": transfer, "from_location_id": wh, "to_location_id": site,
             "lines": [line]}  # fmt: skip
    yield stock, wh.encode(), envelope("TransferDispatched", moves, when, f"dispatch-{r}")
    yield stock, site.encode(), envelope("TransferReceived", moves, when, f"arrival-{r}")
    region = REGIONS[r % len(REGIONS)]
    for h in range(HOUSEHOLDS_PER_ROUND):
        n = r * HOUSEHOLDS_PER_ROUND + h
        distribution = f"dist-{n:010d}"
        yield stock, site.encode(), envelope("StockDistributed", {
            "distribution_id": distribution, "location_id": site, "item_id": item, "lot": lot,
            "expires_on": expires, "donation_id": donation, "quantity": PER_HOUSEHOLD,
            "campaign_id": CAMPAIGN, "region_code": region,
        }, when, f"policy-{n}")  # fmt: skip
        if with_distributions:
            yield f"{prefix}distributions", identity(n).encode(), envelope("AidDistributed", {
                "distribution_id": distribution, "household_id": household_id(n),
                "identity": identity(n), "campaign_id": CAMPAIGN, "site_id": site,
                "item_id": item, "quantity": PER_HOUSEHOLD, "region_code": region,
                "distributed_at": when.isoformat(),
            }, when, f"distribution-{n}")  # fmt: skip


def household(n: int) -> dict[str, Any]:
    """A registered household's event data (the sealed data is an opaque placeholder)."""
    return {
        "household_id": household_id(n),
        "identity": identity(n),
        "national_id_pseudonym": identity(n),
        "size": 1 + n % 8,
        "region_code": REGIONS[n % len(REGIONS)],
        "province_code": f"{REGIONS[n % len(REGIONS)]}{n % 7:02d}",
        "groups": ["children"] if n % 3 == 0 else ["elderly"] if n % 3 == 1 else [],
        "precarity_score": float(n % 100),
        "sealed_personal_data": "sealed:bench",
    }
