"""Rebuild: replay 1,000,000 mixed events (receipts, transfers, distributions) into every
projection with `services.rebuild`, the code behind `aid projections rebuild`; wall time and
peak memory (the replaying process's maximum RSS, measured in a child process of its own).

The baseline reads the same topics with the same client (kafka-python, same settings) and
does nothing else.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from typing import Any

from kafka import KafkaConsumer, TopicPartition
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
from services.rebuild import rebuild
from services.settings import Settings
from services.topics import ensure_topics


def raw_read(settings: Settings) -> tuple[int, float]:
    """Records and seconds to read every projection's topics from offset 0, no processing."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_poll_records=settings.worker_batch_size * 4,
    )
    streams = {s for p in PROJECTIONS.values() for s in p.streams}
    partitions = [
        TopicPartition(settings.topic(s), p)
        for s in sorted(streams)
        for p in consumer.partitions_for_topic(settings.topic(s)) or ()
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    started, read = time.perf_counter(), 0
    remaining = {tp for tp, end in ends.items() if end > 0}
    while remaining:
        for records in consumer.poll(timeout_ms=1000).values():
            read += len(records)
        remaining = {tp for tp in remaining if consumer.position(tp) < ends[tp]}
    seconds = time.perf_counter() - started
    consumer.close()
    return read, seconds


def replay(settings: Settings) -> dict[str, Any]:
    """In this process: rebuild every projection, then report time and peak RSS."""
    engine = make_engine(settings.db_url)
    migrate(engine)
    seconds: dict[str, float] = {}
    applied = 0
    for name, projection in PROJECTIONS.items():
        started = time.perf_counter()
        applied += rebuild(settings, engine, projection)
        seconds[name] = round(time.perf_counter() - started, 2)
    engine.dispose()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"applied": applied, "seconds": seconds, "peak_rss_mib": round(peak_kib / 1024, 1)}


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
    child = subprocess.run(
        [sys.executable, "-m", "bench.rebuild", "--replay", settings.model_dump_json()],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    replayed = json.loads(child.stdout.strip().splitlines()[-1])
    check(url, totals)
    wall = sum(replayed["seconds"].values())
    figures = {
        "events": totals.events,
        "applied": replayed["applied"],
        "wall_seconds": round(wall, 2),
        "events_per_s": round(totals.events / wall),
        "seconds_per_projection": replayed["seconds"],
        "peak_rss_mib": replayed["peak_rss_mib"],
        "raw_read_seconds": round(raw_seconds, 2),
        "raw_read_events_per_s": round(read / raw_seconds),
        "rebuild_vs_raw": round(raw_seconds / wall, 3),
    }
    assert replayed["applied"] == totals.events, figures
    return report("rebuild of every projection", figures, info)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--replay":
        print(json.dumps(replay(Settings.model_validate_json(sys.argv[2]))))
    else:
        main()
