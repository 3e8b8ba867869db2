"""Projection throughput: events/s committed into the inventory read model by the live
projector, on SQLite and PostgreSQL, against three ceilings measured in the same run with the
same Kafka client (aiokafka, same consumer settings) on the same topic: (a) the raw consume
rate, no processing; (b) consuming, parsing each record with `orjson` and taking the fields
the projection needs (envelope id, type and time; every field of the event's data, lines as
tuples), with no validation and no signature check; (c), on PostgreSQL, (b) plus writing the
projection's rows into the same tables and indexes by binary `COPY` into staging tables and
one merge per table, one transaction per batch with the positions (`bench/copy_ceiling.py`).
The projection's main ratio is to (c); its tables are checked to hold the same stock-card
lines and lots as (c)'s.

Each measured phase also reports the CPU seconds and mean CPU % (100 = one core) of the
benchmark process, the benchmarks' Kafka broker and the PostgreSQL backends serving the
phase's database (`bench/cpu.py`), over the whole phase (consumer start and join included).

Both clocks start at the first record received, so the group join is not counted.
`AID_BENCH_DATABASES` (default `sqlite,postgresql`) names the read-model databases to run;
`AID_BENCH_HOT_DECODE=1` also projects the same events decoded by `events.hot_decode` (msgspec),
on a fresh database, before the projectors' own decode. Unless `AID_BENCH_GC_FREEZE=0`, it also
projects the same events after `gc.collect(); gc.freeze()` (as `aid worker` does after
start-up, with `AID_BENCH_GC_THRESHOLD`, by default a projecting worker's
`AID_PROJECTOR_GC_THRESHOLD`, as the youngest generation's threshold; 0 keeps Python's) and
with the GIL's switch interval a projecting worker sets (`AID_PROJECTOR_SWITCH_INTERVAL_MS`),
on a fresh database, before the run with Python's defaults (its ratio to (c) printed as
`postgresql_gc_frozen_vs_copy_ceiling`, the other's as `postgresql_vs_copy_ceiling`); every
projection run prints the time spent in the garbage collector.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import orjson
import psycopg
from aiokafka import ConsumerRecord
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import func, select

from bench.common import (
    bench_settings,
    fresh_postgres,
    fresh_sqlite,
    machine,
    produce,
    report,
    size,
    start_kafka,
    stock_reader,
)
from bench.copy_ceiling import copy_ceiling
from bench.cpu import CpuUsage, database_name
from bench.gc_clock import GcClock
from bench.signing import in_projection
from bench.workload import Totals, rounds
from events import decode
from events.hot_decode import decode_hot
from events.registry import event_types
from projections.database import make_engine, migrate
from projections.registry import PROJECTIONS
from projections.tables import inventory_lots, stock_movements
from projections.writer import Message, Planned
from services.runtime.dead_letters import dlq_producer
from services.runtime.gc_tuning import freeze_after_startup
from services.runtime.ledger import Decoder
from services.runtime.projector import Projector, tune_for_projecting
from services.runtime.settings import Settings
from services.runtime.topics import ensure_topics

Ends = dict[tuple[str, int], int]
T = TypeVar("T")
# The data fields of each event type, in order: what ceiling (b) takes out of every record.
FIELDS = {name: tuple(cls.model_fields) for name, cls in event_types().items()}


def end_offsets(settings: Settings) -> Ends:
    """The last offset of each partition of the stock topic, once everything is produced."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    topic = settings.topic("stock")
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    ends = consumer.end_offsets(partitions)
    consumer.close()
    return {(tp.topic, tp.partition): end - 1 for tp, end in ends.items() if end > 0}


def _reached(last: Ends, records: list[ConsumerRecord], ends: Ends) -> bool:
    for r in records:
        last[(r.topic, r.partition)] = max(r.offset, last.get((r.topic, r.partition), -1))
    return all(last.get(tp, -1) >= end for tp, end in ends.items())


def extracted(value: bytes) -> tuple[Any, ...]:
    """Ceiling (b)'s work on a record: parsed, the projection's fields taken, nothing checked."""
    payload = orjson.loads(value)
    data = payload["data"]
    fields = tuple(
        tuple(tuple(line.values()) for line in v) if isinstance(v, list) else v
        for v in map(data.get, FIELDS.get(payload["type"], ()))
    )
    return payload["event_id"], payload["type"], payload["occurred_at"], fields


async def raw_consume(
    settings: Settings, ends: Ends, work: Callable[[bytes], Any] | None = None
) -> tuple[float, int]:
    """Seconds to read every record up to `ends`, doing `work` on each value (nothing at all
    when None), and how many records that is (what the log holds, to compare with what was
    produced)."""
    consumer = stock_reader(settings, "raw")
    await consumer.start()
    last: Ends = {}
    count, started = 0, 0.0
    try:
        while True:
            polled = await consumer.getmany(timeout_ms=200, max_records=settings.worker_batch_size)
            records = [r for rs in polled.values() for r in rs]
            if records and not started:
                started = time.perf_counter()
            if work is not None:
                done = [work(r.value) for r in records]
                assert len(done) == len(records)
            count += len(records)  # one consumer, no seeks: each offset once
            if _reached(last, records, ends):
                return time.perf_counter() - started, count
    finally:
        await consumer.stop()


async def project(
    settings: Settings, ends: Ends, decoder: Decoder = decode, gc_use: dict[str, Any] | None = None
) -> float:
    """Seconds for the inventory projector to commit everything up to `ends`, its records
    decoded by `decoder` (pydantic's, the projectors' own, or the msgspec path to compare);
    the garbage collector's time over the run goes into `gc_use`."""
    with GcClock() as clock:
        seconds = await _project(settings, ends, decoder)
    if gc_use is not None:
        gc_use |= clock.figures()
    return seconds


async def _project(settings: Settings, ends: Ends, decoder: Decoder) -> float:
    engine = make_engine(settings.db_url)
    await asyncio.to_thread(migrate, engine)
    dlq = dlq_producer(settings)
    await dlq.start()
    projector = Projector(settings, engine, PROJECTIONS["inventory"], dlq)
    projector.reader.decode = decoder
    clock = {"started": 0.0, "done": 0.0}
    last: Ends = {}
    finished = asyncio.Event()
    apply = projector._apply

    async def timed(
        records: list[ConsumerRecord], messages: list[Message], planned: Planned | None = None
    ) -> None:
        clock["started"] = clock["started"] or time.perf_counter()
        await apply(records, messages, planned)
        if _reached(last, records, ends):
            clock["done"] = time.perf_counter()
            finished.set()

    projector._apply = timed  # type: ignore[method-assign]
    task = asyncio.create_task(projector.run())
    try:
        await finished.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await dlq.stop()
    engine.dispose()
    return clock["done"] - clock["started"]


def check(url: str, totals: Totals) -> dict[str, int]:
    """The read model holds exactly what was produced."""
    engine = make_engine(url)
    with engine.connect() as conn:
        movements = conn.scalar(select(func.count()).select_from(stock_movements))
        on_hand = conn.scalar(select(func.sum(inventory_lots.c.on_hand)))
    engine.dispose()
    found = {"stock_movements": int(movements or 0), "on_hand": int(on_hand or 0)}
    expected = {"stock_movements": totals.stock_movements, "on_hand": totals.on_hand}
    assert found == expected, f"read model {found} != produced {expected}"
    return found


def fingerprint(url: str) -> dict[str, Any]:
    """What a PostgreSQL inventory read model holds, row for row: counts and digests of the
    stock card and the lots, the on-hand sum, and counts of transfers and distributions."""
    with psycopg.connect(url) as conn:
        row = conn.execute(_FINGERPRINT).fetchone()
    assert row is not None
    return dict(zip(_FINGERPRINT_NAMES, row, strict=True))


_FINGERPRINT_NAMES = (
    "stock_card", "card_md5", "lots", "lots_md5", "on_hand", "transfers", "received",
    "transfer_lines_md5", "lot_distributions",
)  # fmt: skip


_FINGERPRINT = """
SELECT (SELECT count(*) FROM stock_movements),
       (SELECT md5(string_agg(m::text, ',' ORDER BY event_id, line)) FROM stock_movements m),
       (SELECT count(*) FROM inventory_lots),
       (SELECT md5(string_agg(l::text, ',' ORDER BY location_id, item_id, lot))
          FROM inventory_lots l),
       (SELECT sum(on_hand) FROM inventory_lots),
       (SELECT count(*) FROM transfers),
       (SELECT count(*) FROM transfers WHERE status = 'received'),
       (SELECT md5(string_agg(t::text, ',' ORDER BY transfer_id, item_id, lot))
          FROM transfer_lines t),
       (SELECT count(*) FROM lot_distributions)
"""


def measured(
    figures: dict[str, Any], phase: str, databases: tuple[str, ...], run: Coroutine[Any, Any, T]
) -> T:
    """Run a phase, recording the CPU its processes spent (`cpu_<phase>`); returns its result."""
    with CpuUsage(databases) as usage:
        result = asyncio.run(run)
    figures[f"cpu_{phase}"] = usage.figures()
    return result


_GC_THRESHOLD = gc.get_threshold()
_SWITCH_INTERVAL = sys.getswitchinterval()


def _freeze() -> int:
    """What `aid worker` does after start-up in a process that only projects
    (`gc.collect(); gc.freeze()`, its GIL's switch interval and its young generation's
    threshold, or `AID_BENCH_GC_THRESHOLD`), in this process."""
    tune_for_projecting(Settings())
    return freeze_after_startup(True, size("gc_threshold", Settings().projector_gc_threshold))


def main() -> dict[str, Any]:
    events = size("projection_events", 200_000)
    batch = size("batch", Settings().worker_batch_size)
    bootstrap = start_kafka()
    fresh = {
        "sqlite": lambda: fresh_sqlite("projection"),
        "postgresql": lambda: fresh_postgres("_projection"),
    }
    names = os.environ.get("AID_BENCH_DATABASES", "sqlite,postgresql").split(",")
    databases = {name: fresh[name]() for name in names}
    info = machine(list(databases.values()))
    settings = bench_settings(bootstrap, next(iter(databases.values())), worker_batch_size=batch)
    ensure_topics(settings)
    totals = Totals()
    produce(bootstrap, rounds(settings.topic_prefix, events, totals, with_distributions=False))
    total = totals.stock_events
    ends = end_offsets(settings)
    cpu: dict[str, Any] = {}
    raw, in_log = measured(cpu, "raw", (), raw_consume(settings, ends))
    assert in_log == total, f"the log holds {in_log} stock events, {total} were produced"
    decoded, _ = measured(cpu, "decode_ceiling", (), raw_consume(settings, ends, extracted))
    figures: dict[str, Any] = {
        "events": total,
        "batch_size": batch,
        "raw_consume_events_per_s": round(total / raw),
        "decode_ceiling_events_per_s": round(total / decoded),
    }
    ceiling_url, steps = None, dict[str, float]()
    if "postgresql" in databases:  # (c): the projection's tables, in a database of their own
        ceiling_url = fresh_postgres("_ceiling")
        engine = make_engine(ceiling_url)
        migrate(engine)
        engine.dispose()
        copied = measured(
            cpu,
            "copy_ceiling",
            (database_name(ceiling_url),),
            copy_ceiling(settings, ends, ceiling_url, steps),
        )
        check(ceiling_url, totals)
        figures["copy_ceiling_events_per_s"] = round(total / copied)
        # where (c) spends its time: building rows (event loop) and each step of the writes
        # (writer thread, mostly waiting on PostgreSQL), in microseconds per event
        figures["copy_ceiling_us_per_event"] = {
            k: round(v / total * 1e6, 1) for k, v in steps.items()
        }
    for name, url in databases.items():
        backends = (database_name(url),) if name == "postgresql" else ()
        if os.environ.get("AID_BENCH_HOT_DECODE"):  # the same projection, msgspec decoding
            hot_settings = settings.model_copy(update={"database_url": url})
            hot = measured(
                cpu,
                f"{name}_hot_decode",
                backends,
                project(hot_settings, ends, decode_hot),
            )
            check(url, totals)
            figures[f"{name}_hot_decode_events_per_s"] = round(total / hot)
            url = fresh[name]()
        if os.environ.get("AID_BENCH_GC_FREEZE", "1") != "0":  # as the worker runs it
            frozen_settings = settings.model_copy(update={"database_url": url})
            figures[f"{name}_gc_frozen_objects"] = _freeze()
            try:
                gc_use: dict[str, Any] = {}
                frozen = measured(
                    cpu,
                    f"{name}_gc_frozen",
                    backends,
                    project(frozen_settings, ends, gc_use=gc_use),
                )
            finally:
                gc.unfreeze()
                gc.set_threshold(*_GC_THRESHOLD)
                sys.setswitchinterval(_SWITCH_INTERVAL)
            check(url, totals)
            figures[f"{name}_gc_frozen_events_per_s"] = round(total / frozen)
            figures[f"{name}_gc_frozen_gc"] = gc_use
            if name == "postgresql" and ceiling_url is not None:  # the worker's settings
                figures["postgresql_gc_frozen_vs_copy_ceiling"] = round(copied / frozen, 3)
            url = fresh[name]()
        db_settings = settings.model_copy(update={"database_url": url})
        gc_use = {}
        seconds = measured(cpu, name, backends, project(db_settings, ends, gc_use=gc_use))
        figures[f"{name}_gc"] = gc_use
        check(url, totals)
        figures[f"{name}_events_per_s"] = round(total / seconds)
        if name == "postgresql" and ceiling_url is not None:
            projected, ceiling = fingerprint(url), fingerprint(ceiling_url)
            assert projected == ceiling, f"projection {projected} != ceiling (c) {ceiling}"
            figures["postgresql_vs_copy_ceiling"] = round(copied / seconds, 3)
        figures[f"{name}_vs_raw"] = round(raw / seconds, 3)
        figures[f"{name}_vs_decode_ceiling"] = round(decoded / seconds, 3)
    figures |= in_projection(figures, settings)  # what verifying signatures takes of it
    figures |= cpu
    return report("projection throughput (inventory projector)", figures, info)


if __name__ == "__main__":
    main()
