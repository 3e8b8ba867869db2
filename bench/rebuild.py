"""Rebuild: replay 1,000,000 mixed events (receipts, transfers, distributions) into every
projection with `services.runtime.rebuild`; wall time and peak memory (the replaying processes'
resident memory at its highest, sampled from a child process of its own).

By default each projection is rebuilt in a process of its own (`rebuild_all`);
AID_BENCH_REBUILD_PARALLEL=0 rebuilds them one after another in one process, as
`aid projections rebuild` does. The baseline reads the same topics with the same client
(aiokafka, same settings) and does nothing else.

On PostgreSQL the rebuild writes into shadow tables and swaps them in (projections/shadow.py);
AID_BENCH_REBUILD_BEFORE=1 first rebuilds the same events the way it did before
(`AID_REBUILD_SHADOW=false`: deleting and writing the live, indexed rows) into the empty read
model, then the shadow rebuild replaces what that wrote, both checked.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select

from bench.common import (
    REPO_ROOT,
    bench_settings,
    fresh_postgres,
    machine,
    produce,
    report,
    size,
    start_kafka,
)
from bench.workload import Totals, rounds
from projections.database import make_engine, migrate
from projections.registry import PROJECTIONS
from projections.tables import distributions, inventory_lots, stock_movements
from services.runtime.rebuild import rebuild, rebuild_all
from services.runtime.settings import Settings
from services.runtime.topics import ensure_topics, partitions_of


async def _raw_read(settings: Settings) -> tuple[int, float]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    streams = sorted({s for p in PROJECTIONS.values() for s in p.streams})
    partitions = [TopicPartition(settings.topic(s), p) for s in streams
                  for p in partitions_of(settings, s)]  # fmt: skip
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        started, read = time.perf_counter(), 0
        remaining = {tp for tp, end in ends.items() if end > 0}
        while remaining:
            polled = await consumer.getmany(
                timeout_ms=1000, max_records=settings.worker_batch_size * 4
            )
            read += sum(len(records) for records in polled.values())
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
        return read, time.perf_counter() - started
    finally:
        await consumer.stop()


def raw_read(settings: Settings) -> tuple[int, float]:
    """Records and seconds to read every projection's topics from offset 0 with the rebuild's
    client and settings, doing nothing with them."""
    return asyncio.run(_raw_read(settings))


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmRSS"))
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (OSError, StopIteration):
        return 0
    return rss + sum(_tree_rss_kib(int(c)) for c in children)


def replay(settings: Settings, parallel: bool) -> dict[str, Any]:
    """In this process: rebuild every projection, then report time and peak memory (the most
    this process and its workers held resident at once, sampled every 50 ms)."""
    engine = make_engine(settings.db_url)
    migrate(engine)
    engine.dispose()
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss_kib(os.getpid()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    if parallel:
        applied = rebuild_all(settings, list(PROJECTIONS))
    else:
        engine = make_engine(settings.db_url)
        applied = {name: rebuild(settings, engine, p) for name, p in PROJECTIONS.items()}
        engine.dispose()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"applied": applied, "seconds": round(seconds, 2),
            "peak_rss_mib": round(max(peak[0], own_peak) / 1024, 1)}  # fmt: skip


def check(url: str, totals: Totals) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = {
            "stock_movements": conn.scalar(select(func.count()).select_from(stock_movements)),
            "distributions": conn.scalar(select(func.count()).select_from(distributions)),
            "on_hand": int(conn.scalar(select(func.sum(inventory_lots.c.on_hand))) or 0),
        }
    engine.dispose()
    expected = {
        "stock_movements": totals.stock_movements,
        "distributions": totals.distributions,
        "on_hand": totals.on_hand,
    }
    assert found == expected, f"rebuilt read model {found} != produced {expected}"


def _replayed(settings: Settings, parallel: bool) -> dict[str, Any]:
    """The rebuild in a child process (its memory is the rebuild's alone)."""
    mode = "--parallel" if parallel else "--sequential"
    child = subprocess.run(
        [sys.executable, "-m", "bench.rebuild", mode, settings.model_dump_json()],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> dict[str, Any]:
    events = size("rebuild_events", 1_000_000)
    bootstrap = start_kafka()
    url = fresh_postgres("_rebuild")
    info = machine([url])
    settings = bench_settings(bootstrap, url)
    ensure_topics(settings)
    totals = Totals()
    produce(bootstrap, rounds(settings.topic_prefix, events, totals))
    read, raw_seconds = raw_read(settings)
    assert read == totals.events, f"read {read} records, produced {totals.events}"
    parallel = size("rebuild_parallel", 1) == 1
    figures: dict[str, Any] = {}
    if size("rebuild_before", 0):  # the same events, rebuilt into the live tables
        before = _replayed(settings.model_copy(update={"rebuild_shadow": False}), parallel)
        check(url, totals)
        figures["before_wall_seconds"] = before["seconds"]
        figures["before_events_per_s"] = round(totals.events / before["seconds"])
        figures["before_peak_rss_mib"] = before["peak_rss_mib"]
    replayed = _replayed(settings, parallel)
    check(url, totals)
    wall = replayed["seconds"]
    figures |= {
        "events": totals.events,
        "mode": "one process per projection" if parallel else "one projection after another",
        "shadow_tables": settings.rebuild_shadow,
        "applied": sum(replayed["applied"].values()),
        "applied_per_projection": replayed["applied"],
        "wall_seconds": wall,
        "events_per_s": round(totals.events / wall),
        "peak_rss_mib": replayed["peak_rss_mib"],
        "raw_read_seconds": round(raw_seconds, 2),
        "raw_read_events_per_s": round(read / raw_seconds),
        "rebuild_vs_raw": round(raw_seconds / wall, 3),
    }
    # each projection applies every event of the streams it reads (the history reads both)
    expected = sum(
        totals.stock_events * ("stock" in p.streams)
        + totals.distribution_events * ("distributions" in p.streams)
        for p in PROJECTIONS.values()
    )
    assert figures["applied"] == expected, figures
    return report("rebuild of every projection", figures, info)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in ("--parallel", "--sequential"):
        replayed = replay(Settings.model_validate_json(sys.argv[2]), sys.argv[1] == "--parallel")
        print(json.dumps(replayed))
    else:
        main()
