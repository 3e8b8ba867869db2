"""Reads: p50/p99 over HTTP with 1,000,000 households (each reached once by the campaign),
20,000 flagged duplicates and 100,000 lots in the read model: the point reads (inventory of a
location, eligibility, donor trace), campaign coverage, the 4W of the campaign, the first and
the hundredth page of the inventory and of the duplicates, the alerts (first page, and the
transfer discrepancies alone) and the months of stock; and the distributions report streamed
(rows per second, the API's resident memory while it streams).

The stock-card line of each distribution is dated in the last 90 days (spread over 85 days up
to the day before the run), so the months of stock and its alerts sum a million movements;
20,000 transfers each received one unit short, spread over the last two years, are the
discrepancies.

The read model is loaded directly: reference data and users through the projection writers,
the bulk tables (households, distributions, lots, stock-card lines, lot distributions,
donations) with PostgreSQL COPY, the coverage counts as the registry projection keeps them
(one INSERT … SELECT), the use per location × item × day as the inventory projection keeps
it (the same), then ANALYZE. The baseline is `GET /v1/items` (a three-row table) on
the same API process, measured the same way; the reports' is the same rows written as CSV by
PostgreSQL itself (`COPY … TO STDOUT`), read in the benchmark's process.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, text

from bench import load
from bench.common import machine, report, size
from bench.system import admin_user, api_process
from bench.workload import ITEMS, REGIONS, household, household_id
from events.envelope import SYSTEM
from events.households import CampaignOpened
from events.reference import ItemDefined, LocationRegistered
from events.relief import DonorRegistered
from events.serialization import event_id_for, wrap
from projections.registry import PROJECTIONS
from projections.writer import Message, apply_batch

WAREHOUSES = [f"wh-{i:02d}" for i in range(20)]
SITES = [f"site-{i:04d}" for i in range(1300)]
LOCATIONS = WAREHOUSES + SITES
CAMPAIGN, DONATIONS, DUPLICATES = "ramadan-2026", 5000, 20_000
PAGE = 100
T0 = datetime(2026, 2, 18, 8, 0)
TODAY = datetime.now(UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
RECENT, RECENT_DAYS = TODAY - timedelta(days=85), 85  # the card's distributions, in the window
HISTORY_DAYS = 730  # the short transfers, received over the last two years


def _reference(engine: Engine) -> None:
    facts: list[Any] = [
        LocationRegistered(location_id=loc, name=loc, kind="site" if loc in SITES else "warehouse",
                           region_code=REGIONS[i % 12], region_name=REGIONS[i % 12])
        for i, loc in enumerate(LOCATIONS)
    ]  # fmt: skip
    facts += [ItemDefined(item_id=item, name=item, unit="unit") for item in ITEMS]
    facts += [DonorRegistered(donor_id=f"donor-{i:03d}", name=f"Donor {i}") for i in range(100)]
    facts.append(
        CampaignOpened(campaign_id=CAMPAIGN, name="Ramadan 2026", item_id=ITEMS[0],
                       quantity_per_household=1, starts_on=date(2026, 2, 18),
                       ends_on=date(2026, 3, 20))
    )  # fmt: skip
    now = datetime.now(UTC)
    messages = [
        Message("bench.reference", 0, i, wrap(f, event_id=event_id_for(f"ref-{i}", 0),
                occurred_at=now, recorded_at=now, actor=SYSTEM, correlation_id="bench",
                causation_id=f"ref-{i}"), f)
        for i, f in enumerate(facts)
    ]  # fmt: skip
    apply_batch(engine, PROJECTIONS["reference"], messages)


def _copy(engine: Engine, table: str, columns: list[str], rows: Any) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _households(count: int) -> Any:
    for n in range(count):
        h = household(n)
        yield (h["household_id"], h["identity"], h["national_id_pseudonym"], h["size"],
               h["region_code"], h["province_code"], orjson.dumps(h["groups"]).decode(),
               h["precarity_score"], h["sealed_personal_data"], False, T0)  # fmt: skip


def _distributions(count: int) -> Any:
    for n in range(count):
        h = household(n)
        yield (f"dist-{n:010d}", "accepted", h["household_id"], CAMPAIGN, SITES[n % len(SITES)],
               ITEMS[0], 1, h["region_code"], h["province_code"],
               T0 + timedelta(seconds=n), False, None, "bench.agent")  # fmt: skip


def _duplicates(count: int, households: int) -> Any:
    for n in range(count):
        h = household(n % households)
        yield (f"dup-{n:010d}", "duplicate", h["household_id"], CAMPAIGN, SITES[n % len(SITES)],
               ITEMS[0], 1, h["region_code"], h["province_code"],
               T0 + timedelta(seconds=n, milliseconds=500), True,
               f"dist-{n % households:010d}", "bench.agent")  # fmt: skip


def _coverage(engine: Engine) -> None:
    """The counts the registry projection keeps, for a campaign without rules: every household
    eligible (and due 1, its quantity per household), each accepted distribution reaching its
    household once; and the distributions report's counts per campaign, day, site, item and
    area."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO coverage_terms (campaign_id, region_codes, groups,"
                " max_precarity_score, quantity_per_household, larger_households)"
                " VALUES (:c, '[]', '[]', NULL, 1, NULL)"
            ),
            {"c": CAMPAIGN},
        )
        conn.execute(text(
            "INSERT INTO coverage_counts (campaign_id, region_code, province_code,"
            " eligible_households, entitled_quantity, reached_households, quantity)"
            " SELECT :c, h.region_code, coalesce(h.province_code, ''), count(*), count(*),"
            " coalesce(max(d.reached), 0), coalesce(max(d.quantity), 0)"
            " FROM households h LEFT JOIN ("
            "  SELECT region_code, coalesce(province_code, '') AS province,"
            "   count(DISTINCT household_id) AS reached, sum(quantity) AS quantity"
            "  FROM distributions WHERE campaign_id = :c AND status = 'accepted'"
            "  GROUP BY 1, 2) d"
            " ON d.region_code = h.region_code AND d.province = coalesce(h.province_code, '')"
            " GROUP BY h.region_code, coalesce(h.province_code, '')"), {"c": CAMPAIGN})  # fmt: skip
        conn.execute(text(
            "INSERT INTO distribution_days SELECT campaign_id, CAST(occurred_at AS DATE),"
            " site_id, item_id, region_code, coalesce(province_code, ''),"
            " count(DISTINCT household_id), sum(quantity) FROM distributions"
            " WHERE status = 'accepted' GROUP BY 1, 2, 3, 4, 5, 6"))  # fmt: skip


def _lots(count: int) -> Any:
    for n in range(count):
        yield (LOCATIONS[n % len(LOCATIONS)], ITEMS[n % 3], f"lot-{n:07d}",
               date(2026, 9, 1) + timedelta(days=n % 200), 100 + n % 900)  # fmt: skip


def _card(lots: int, households: int) -> Any:
    for n in range(lots):
        yield (f"{n:032x}", 0, 0, n, LOCATIONS[n % len(LOCATIONS)], ITEMS[n % 3], f"lot-{n:07d}",
               "StockReceived", 1000, f"receipt-{n}", "received", f"donation-{n % DONATIONS:05d}",
               T0, "bench.operator")  # fmt: skip
    step = timedelta(days=RECENT_DAYS) / max(households, 1)
    for n in range(households):
        lot = n % lots
        donation, when = f"donation-{lot % DONATIONS:05d}", RECENT + step * n
        yield (f"{lots + n:032x}", 0, 1, n, SITES[n % len(SITES)], ITEMS[lot % 3],
               f"lot-{lot:07d}", "StockDistributed", -1, f"dist-{n:010d}", "campaign",
               donation, when, "bench.agent")  # fmt: skip


def _lot_distributions(lots: int, households: int) -> Any:
    for n in range(households):
        lot = n % lots
        yield (f"dist-{n:010d}", f"lot-{lot:07d}", SITES[n % len(SITES)], ITEMS[lot % 3],
               f"donation-{lot % DONATIONS:05d}", 1, CAMPAIGN, REGIONS[n % 12], None,
               T0 + timedelta(seconds=n))  # fmt: skip


def _short_transfers(count: int) -> tuple[Any, Any]:
    """Transfers from a warehouse to a site, each received one unit short; the latest first."""
    step = timedelta(days=HISTORY_DAYS) / max(count, 1)
    heads = (
        (
            f"tr-{n:07d}",
            WAREHOUSES[n % len(WAREHOUSES)],
            SITES[n % len(SITES)],
            "received",
            TODAY - step * n - timedelta(hours=1),
            TODAY - step * n,
        )
        for n in range(count)
    )
    lines = ((f"tr-{n:07d}", ITEMS[n % 3], f"lot-{n:07d}", 10, 9, 1, 0) for n in range(count))
    return heads, lines


def load_read_model(engine: Engine, households: int, lots: int, short: int = 0) -> None:
    _reference(engine)
    _copy(engine, "households", ["household_id", "identity", "national_id_pseudonym", "size",
          "region_code", "province_code", "groups", "precarity_score", "sealed_personal_data",
          "erased", "registered_at"], _households(households))  # fmt: skip
    _copy(engine, "distributions", ["distribution_id", "status", "household_id", "campaign_id",
          "site_id", "item_id", "quantity", "region_code", "province_code", "occurred_at",
          "offline", "first_distribution_id", "actor"], _distributions(households))  # fmt: skip
    _copy(engine, "distributions", ["distribution_id", "status", "household_id", "campaign_id",
          "site_id", "item_id", "quantity", "region_code", "province_code", "occurred_at",
          "offline", "first_distribution_id", "actor"],
          _duplicates(DUPLICATES, households))  # fmt: skip
    _coverage(engine)
    _copy(engine, "inventory_lots", ["location_id", "item_id", "lot", "expires_on", "on_hand"],
          _lots(lots))  # fmt: skip
    _copy(engine, "stock_movements", ["event_id", "line", "partition", '"offset"', "location_id",
          "item_id", "lot", "kind", "quantity", "reference_id", "reason", "donation_id",
          "occurred_at", "actor"], _card(lots, households))  # fmt: skip
    _copy(engine, "lot_distributions", ["distribution_id", "lot", "location_id", "item_id",
          "donation_id", "quantity", "campaign_id", "region_code", "province_code",
          "occurred_at"], _lot_distributions(lots, households))  # fmt: skip
    with engine.begin() as conn:  # the use per day, as the inventory projection keeps it
        conn.execute(text(
            "INSERT INTO stock_use_days (location_id, item_id, day, used)"
            " SELECT location_id, item_id, CAST(occurred_at AS DATE), -sum(quantity)"
            " FROM stock_movements WHERE kind IN ('StockDistributed', 'TransferDispatched',"
            " 'StockDistributionVoided', 'TransferReturned') GROUP BY 1, 2, 3"))  # fmt: skip
    heads, lines = _short_transfers(short)
    _copy(engine, "transfers", ["transfer_id", "from_location_id", "to_location_id", "status",
          "dispatched_at", "received_at"], heads)  # fmt: skip
    _copy(engine, "transfer_lines", ["transfer_id", "item_id", "lot", "dispatched", "received",
          "missing", "returned"], lines)  # fmt: skip
    _copy(engine, "donations", ["donation_id", "donor_id", "location_id", "item_id", "quantity",
          "received_at"],
          ((f"donation-{d:05d}", f"donor-{d % 100:03d}", WAREHOUSES[d % 20], ITEMS[d % 3],
            1000 * (lots // DONATIONS), T0) for d in range(DONATIONS)))  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def _cursor_of_page(base_url: str, admin: dict[str, str], path: str, page: int) -> str:
    """The cursor that opens page `page` of a list (walking the pages before it once)."""
    cursor = ""
    for _ in range(page - 1):
        params = {"limit": PAGE} | ({"cursor": cursor} if cursor else {})
        answer = httpx.get(f"{base_url}{path}", params=params, headers=admin, timeout=60)
        answer.raise_for_status()
        cursor = answer.json()["next"]
        assert cursor, f"{path} has fewer than {page} pages"
    return cursor


def _resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _streamed_report(base_url: str, admin: dict[str, str], pid: int, path: str) -> dict[str, Any]:
    """Download a CSV report while sampling the API's resident memory every 20 ms."""
    before, peak, done = _resident_kib(pid), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _resident_kib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started, rows, first_byte = time.perf_counter(), 0, None
    with httpx.stream("GET", f"{base_url}{path}", headers=admin, timeout=600) as answer:
        answer.raise_for_status()
        for _line in answer.iter_lines():
            first_byte = first_byte or time.perf_counter()
            rows += 1
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    rows -= 2  # the header and HXL rows
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "first_byte_s": round((first_byte or started) - started, 2),
            "api_rss_before_mib": before // 1024, "api_rss_peak_mib": peak[0] // 1024}  # fmt: skip


def _copy_ceiling(engine: Engine, query: str) -> dict[str, Any]:
    """The same rows as CSV straight from PostgreSQL (`COPY (…) TO STDOUT`, read in this
    process): what a report could reach with no Python per row, its ceiling."""
    started, rows = time.perf_counter(), 0
    connection = engine.raw_connection()
    try:
        psycopg = connection.driver_connection
        sql = f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"
        with psycopg.cursor() as cursor, cursor.copy(sql) as copy:
            for block in copy:
                rows += bytes(block).count(b"\n")
    finally:
        connection.close()
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


DISTRIBUTION_ROWS = (
    "SELECT d.*, i.name FROM distribution_days d JOIN items i USING (item_id)"
    " WHERE d.campaign_id = '{campaign}' AND d.households > 0"
    " ORDER BY campaign_id, day, site_id, item_id, region_code, province_code"
)
STOCK_ROWS = (
    "SELECT l.name, v.location_id, l.region_name, l.region_code, v.item_id, v.lot,"
    " v.expires_on, v.on_hand FROM inventory_lots v JOIN locations l USING (location_id)"
    " WHERE v.on_hand <> 0 ORDER BY v.location_id, v.item_id, v.lot"
)


def main() -> dict[str, Any]:
    households = size("households", 1_000_000)
    lots = size("lots", 100_000)
    count = size("reads", 1000)
    short = size("short_transfers", 20_000)
    alert_reads = size("alert_reads", 100)  # the alerts read everything: fewer requests
    concurrency = size("read_concurrency", 1)
    rng = random.Random(8)
    with api_process("_reads") as (settings, engine, base_url, pid):
        info = machine([settings.db_url])
        load_read_model(engine, households, lots, short)
        admin = admin_user(settings, engine)
        far = min(100, max(2, lots // PAGE // 2))  # the hundredth page, on a smaller model less
        inventory_far = _cursor_of_page(base_url, admin, "/v1/inventory", far)
        duplicates_far = _cursor_of_page(base_url, admin, "/v1/distributions/duplicates",
                                         min(far, max(2, DUPLICATES // PAGE // 2)))  # fmt: skip

        def get(path: str) -> Any:
            return lambda i: ("GET", path, None)

        def inventory(i: int) -> tuple[str, str, dict[str, Any] | None]:
            return "GET", f"/v1/inventory?location_id={rng.choice(LOCATIONS)}", None

        def eligibility(i: int) -> tuple[str, str, dict[str, Any] | None]:
            hid = household_id(rng.randrange(households))
            return "GET", f"/v1/households/{hid}/eligibility?campaign_id={CAMPAIGN}", None

        def trace(i: int) -> tuple[str, str, dict[str, Any] | None]:
            return "GET", f"/v1/donations/donation-{rng.randrange(DONATIONS):05d}/trace", None

        measured = {
            "baseline_get_items": get("/v1/items"),
            "inventory": inventory,
            "eligibility": eligibility,
            "donor_trace": trace,
            "coverage": get(f"/v1/campaigns/{CAMPAIGN}/coverage"),
            "four_w": get(f"/v1/reports/4w.csv?campaign_id={CAMPAIGN}"),
            "inventory_first_page": get(f"/v1/inventory?limit={PAGE}"),
            "inventory_far_page": get(f"/v1/inventory?limit={PAGE}&cursor={inventory_far}"),
            "duplicates_first_page": get(f"/v1/distributions/duplicates?limit={PAGE}"),
            "duplicates_far_page": get(
                f"/v1/distributions/duplicates?limit={PAGE}&cursor={duplicates_far}"
            ),
        }
        alerts = {
            "alerts_first_page": get(f"/v1/alerts?limit={PAGE}"),
            "alerts_discrepancies": get(f"/v1/alerts?kind=transfer_discrepancy&limit={PAGE}"),
            "months_of_stock": get(f"/v1/inventory/months-of-stock?limit={PAGE}"),
        }
        load.run(base_url, admin, get("/v1/items"), 50, 0, concurrency)  # warm up
        figures: dict[str, Any] = {"households": households, "lots": lots,
                                   "duplicates": DUPLICATES, "concurrency": concurrency,
                                   "far_page": far, "short_transfers": short,
                                   "alert_reads": alert_reads}  # fmt: skip
        for name, request in measured.items():
            outcome = load.run(base_url, admin, request, count, 0, concurrency)
            assert outcome.statuses == {200: count}, (name, dict(outcome.statuses))
            figures[name] = outcome.figures()
        for name, request in alerts.items():
            outcome = load.run(base_url, admin, request, alert_reads, 0, concurrency)
            assert outcome.statuses == {200: alert_reads}, (name, dict(outcome.statuses))
            figures[name] = outcome.figures()
        measured |= alerts
        report_path = f"/v1/reports/distributions.csv?campaign_id={CAMPAIGN}"
        figures["distributions_report"] = _streamed_report(base_url, admin, pid, report_path)
        figures["stock_report"] = _streamed_report(base_url, admin, pid, "/v1/reports/stock.csv")
        ceiling = _copy_ceiling(engine, DISTRIBUTION_ROWS.format(campaign=CAMPAIGN))
        figures["distributions_copy_ceiling"] = ceiling
        figures["stock_copy_ceiling"] = _copy_ceiling(engine, STOCK_ROWS)
    for name in ("distributions", "stock"):
        reached = figures[f"{name}_report"]["rows_per_s"]
        figures[f"{name}_report_vs_copy"] = round(
            reached / figures[f"{name}_copy_ceiling"]["rows_per_s"], 2
        )
    base = figures["baseline_get_items"]["p99_ms"] or 1.0
    for name in measured:
        if name != "baseline_get_items":
            figures[f"{name}_p99_vs_baseline"] = round(figures[name]["p99_ms"] / base, 1)
    return report("reads", figures, info)


if __name__ == "__main__":
    main()
