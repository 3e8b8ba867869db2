"""The benchmarks keep working: each runs at a tiny size against the test broker and
PostgreSQL, prints its figures, and its counts add up. No timings are asserted here; the
figures live in bench/RESULTS.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from events import decode
from tests.conftest import POSTGRES_URL, REPO_ROOT

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

TINY = {
    "AID_BENCH_PROJECTION_EVENTS": "900",
    "AID_BENCH_BATCH": "100",
    "AID_BENCH_REBUILD_EVENTS": "1500",
    "AID_BENCH_COMMANDS": "12",
    "AID_BENCH_RATE": "40",
    "AID_BENCH_CONCURRENCY": "4",
    "AID_BENCH_SYNC_RECORDS": "30",
    "AID_BENCH_SYNC_BATCH": "10",
    "AID_BENCH_SYNC_BASELINE_RECORDS": "6",
    "AID_BENCH_SYNC_DEVICES": "2",
    "AID_BENCH_HOUSEHOLDS": "3000",
    "AID_BENCH_LOTS": "600",
    "AID_BENCH_READS": "15",
    "AID_BENCH_SHORT_TRANSFERS": "200",
    "AID_BENCH_ALERT_READS": "5",
    "AID_BENCH_IMPORT_HOUSEHOLDS": "300",
}


@pytest.fixture(scope="module")
def bench_env(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured (AID_TEST_POSTGRES_URL)")
    prefix = f"t_bench_{uuid.uuid4().hex[:8]}"
    env = dict(os.environ) | TINY
    env |= {
        "AID_BENCH_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "AID_BENCH_POSTGRES_URL": POSTGRES_URL,
        "AID_BENCH_DATABASE": prefix,
        "AID_BENCH_DIR": str(tmp_path_factory.mktemp("bench")),
    }
    yield env
    admin = create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    with admin.connect() as conn:
        names = conn.scalars(
            text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{prefix}%"}
        ).all()
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run_benchmark(env: dict[str, str], name: str) -> dict[str, Any]:
    """Run `python -m bench.<name>`; returns its RESULT, after checking the machine is printed."""
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "machine: cpus=" in done.stdout
    results = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert len(results) == 1, done.stdout
    result: dict[str, Any] = json.loads(results[0].removeprefix("RESULT "))
    assert {"cpus", "cpu_model", "python", "kafka", "postgresql"} <= set(result["machine"])
    return result


def test_the_synthetic_log_decodes_with_the_validating_decoder() -> None:
    from bench.workload import Totals, rounds

    totals = Totals()
    records = list(rounds("aid.", 300, totals))
    assert len(records) == totals.events >= 300
    for topic, _key, value in records:
        _envelope, event = decode(value)
        assert topic.removeprefix("aid.") == type(event).STREAM


def test_projection_benchmark(bench_env: dict[str, str]) -> None:
    result = run_benchmark(bench_env, "projection")
    assert result["events"] >= 900  # whole rounds of nine stock events
    assert result["events"] % 9 == 0
    for key in (
        "raw_consume_events_per_s",
        "decode_ceiling_events_per_s",
        "copy_ceiling_events_per_s",
        "sqlite_events_per_s",
        "postgresql_events_per_s",
        "sqlite_gc_frozen_events_per_s",  # with the worker's settings, by default
        "postgresql_gc_frozen_events_per_s",
    ):
        assert result[key] > 0
    assert result["postgresql_vs_raw"] > 0 and result["postgresql_vs_decode_ceiling"] > 0
    assert result["postgresql_vs_copy_ceiling"] > 0
    assert result["postgresql_gc_frozen_vs_copy_ceiling"] > 0
    for phase in ("raw", "decode_ceiling", "copy_ceiling", "sqlite", "postgresql"):
        assert {"wall_s", "bench_cpu_s", "bench_cpu_pct"} <= set(result[f"cpu_{phase}"]), phase
    for phase in ("copy_ceiling", "postgresql"):  # the backends serving the phase's database
        assert "postgres_cpu_s" in result[f"cpu_{phase}"], phase
    assert result["cpu_postgresql"]["bench_cpu_s"] > 0 and result["cpu_sqlite"]["bench_cpu_s"] > 0


def test_rebuild_benchmark(bench_env: dict[str, str]) -> None:
    result = run_benchmark(bench_env, "rebuild")
    applied = result["applied_per_projection"]
    assert result["events"] >= 1500
    # the history reads every stream; inventory and registry share the events between them
    assert applied["history"] == result["events"] == applied["inventory"] + applied["registry"]
    assert result["applied"] == sum(applied.values())
    assert result["peak_rss_mib"] > 0 and result["raw_read_events_per_s"] > 0


def test_command_path_benchmark(bench_env: dict[str, str]) -> None:
    result = run_benchmark(bench_env, "commands")
    assert result["distributions"]["statuses"] == {"201": 12}
    assert result["dispatches"]["statuses"] == {"201": 12}
    assert result["baseline_get_items"]["statuses"] == {"200": 12}
    for kind in ("distributions", "dispatches"):
        assert 0 < result[kind]["p50_ms"] <= result[kind]["p95_ms"] <= result[kind]["p99_ms"]
        spent = result[f"{kind}_cpu_ms"]  # Kafka's only with the benchmarks' own broker
        workers = {"deciders", "policies", "projectors"}  # apart, as deployed
        parts = workers | {"api", "load_generator", "postgres"} | ({"kafka"} & spent.keys())
        assert parts <= spent.keys() and all(spent[p] > 0 for p in workers | {"api"})
        assert spent["total"] == pytest.approx(sum(spent[p] for p in parts), abs=0.05)


def test_offline_sync_benchmark(bench_env: dict[str, str]) -> None:
    result = run_benchmark(bench_env, "offline_sync")
    assert result["results"] == {"accepted": 30}  # 15 records from each of 2 devices
    assert (result["devices"], result["records_per_s"] > 0) == (2, True)
    assert result["baseline_single_posts"]["statuses"] == {"201": 6}
    spent = result["cpu_ms_per_record"]
    assert all(spent[p] > 0 for p in ("deciders", "projectors", "api"))


def test_reads_benchmark(bench_env: dict[str, str]) -> None:
    result = run_benchmark(bench_env, "reads")
    assert (result["households"], result["lots"]) == (3000, 600)
    assert (result["short_transfers"], result["alert_reads"]) == (200, 5)
    for query in ("alerts_first_page", "alerts_discrepancies", "months_of_stock"):
        assert result[query]["statuses"] == {"200": 5}
    for query in ("baseline_get_items", "inventory", "eligibility", "donor_trace", "coverage",
                  "four_w", "inventory_first_page", "inventory_far_page",
                  "duplicates_first_page", "duplicates_far_page"):  # fmt: skip
        assert result[query]["statuses"] == {"200": 15}
        assert result[query]["p50_ms"] <= result[query]["p99_ms"]
    assert result["stock_report"]["rows"] == 600  # every lot holds stock
    assert result["distributions_report"]["rows"] == 3000  # each its own site × province × day
    assert result["distributions_report"]["api_rss_peak_mib"] > 0


def test_bench_runs_from_one_command(bench_env: dict[str, str]) -> None:
    unknown = subprocess.run(
        [sys.executable, "-m", "bench", "nonsense"], cwd=REPO_ROOT, env=bench_env,
        capture_output=True, text=True,
    )  # fmt: skip
    assert unknown.returncode == 2 and "choose among" in unknown.stdout
    assert "bench:" in (REPO_ROOT / "Makefile").read_text()


def test_household_import_benchmark(bench_env: dict[str, str]) -> None:
    result = run_benchmark(bench_env, "household_import")
    assert result["households"] == 300
    assert result["households_per_s"] > 0 and result["raw_publish_events_per_s"] > 0
    assert result["importer_peak_rss_mib"] > 0
    assert all(result[f"{p}_rss_mib_at_end"] > 0 for p in ("deciders", "policies", "projectors"))
    assert result["offers_done_after_s"] is not None  # every household offered to its site
    assert 0 < result["households_per_s_with_offers"] <= result["households_per_s"]


def test_the_benchmarks_broker_forgets_the_topics_of_earlier_runs(kafka_bootstrap: str) -> None:
    """Each run writes under a fresh prefix; at the next start the broker drops the earlier
    runs' topics, and only those (kept, they took its log directory offline)."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    from bench.common import forget_earlier_runs

    earlier = f"bench{uuid.uuid4().hex[:8]}.stock"
    kept = f"t_keep_{uuid.uuid4().hex[:8]}.stock"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(earlier, 2, 1), NewTopic(kept, 1, 1)])
        assert {earlier, kept} <= set(admin.list_topics())

        forgotten = forget_earlier_runs(kafka_bootstrap)

        assert earlier in forgotten and kept not in forgotten
        deadline = time.monotonic() + 30
        while earlier in admin.list_topics() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert earlier not in admin.list_topics()
        assert kept in admin.list_topics()
    finally:
        admin.delete_topics([kept])
        admin.close()
