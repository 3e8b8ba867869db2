"""Rebuilding a projection: replay its streams from offset 0 with the live code.

The replay runs in one transaction under the projection's lock: readers keep
seeing the old rows until the rebuilt ones are committed, and the live worker
waits, then carries on from the rebuilt positions. On PostgreSQL the replay writes
into shadow tables without their secondary indexes, which are built after it, and the
tables are swapped in at the end of the same transaction (projections/shadow.py); on
SQLite it deletes the live rows and writes them again.

Records are read with aiokafka (the projectors' client, which parses record batches in
C); while one batch is written to the database, the next one is fetched and decoded, and a
write-only projection's writes for it worked out (`projections.writer.plan`). The
ids of the events applied stay in the process, which drops a repeated event against them,
and are recorded once at the end instead of an index entry per event, batch after batch. A
rebuilding process freezes its start-up objects and collects the youngest generation
rarely, as the worker does (gc_tuning.py): the batches in hand live long enough to reach
the older generations, and with Python's defaults the collector walking them took about
two fifths of a rebuild's CPU. During the replay itself automatic collection is off, and
everything is collected once per 100,000 records read (`collecting_every`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlalchemy import Connection, Engine

from events import UndecodableMessage
from projections.projection import Projection
from projections.registry import viewed_streams
from projections.shadow import Shadow, can_shadow, open_shadow, swap
from projections.writer import Message, apply_messages, lock, plan, record_replayed, reset
from services.runtime.gc_tuning import collecting_every, freeze_after_startup
from services.runtime.health import end_offsets
from services.runtime.kafka_security import client_options
from services.runtime.ledger import LogReader
from services.runtime.settings import Settings
from services.runtime.topics import partitions_of

Progress = Callable[[int, int], None]


async def _consumer(
    settings: Settings, projection: Projection
) -> tuple[AIOKafkaConsumer, dict[TopicPartition, int]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        **client_options(settings),
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    partitions = [
        TopicPartition(settings.topic(s), p)
        for s in projection.streams
        for p in await asyncio.to_thread(partitions_of, settings, s)
    ]
    await consumer.start()
    if partitions:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        return consumer, await consumer.end_offsets(partitions)
    return consumer, {}


def _message(reader: LogReader, record: ConsumerRecord) -> Message:
    """The record as a message; one unreadable or unverified is passed over (the live
    projector parked it in the DLQ)."""
    topic, partition, offset = record.topic, record.partition, record.offset
    try:
        envelope, event = reader.read(topic, partition, offset, record.value)
    except UndecodableMessage:
        return Message(topic, partition, offset)
    return Message(topic, partition, offset, envelope, event)


def _begin(
    engine: Engine, projection: Projection, shadowed: bool
) -> tuple[Connection, Shadow | None]:
    conn = engine.connect()
    conn.begin()
    lock(conn, projection.name)
    if shadowed and can_shadow(conn, projection):
        return conn, open_shadow(conn, projection)
    reset(conn, projection)
    return conn, None


def _finish(
    conn: Connection, projection: Projection, shadow: Shadow | None, replayed: set[int]
) -> None:
    if shadow is None:
        record_replayed(conn, projection, replayed)
    else:
        swap(conn, shadow, record_applied=partial(record_replayed, conn, projection, replayed))
    conn.commit()


async def _replay(
    settings: Settings,
    engine: Engine,
    projection: Projection,
    progress: Progress | None,
    collect: Callable[[int], None],
) -> int:
    consumer, ends = await _consumer(settings, projection)
    total = sum(ends.values())
    reader = LogReader(settings, views=viewed_streams(projection))
    applied = read = 0
    replayed: set[int] = set()  # the events applied, recorded once at the end
    opened: Connection | None = None
    writing: asyncio.Future[int] | None = None
    try:
        conn, shadow = await asyncio.to_thread(_begin, engine, projection, settings.rebuild_shadow)
        opened = conn
        remaining = {tp for tp, end in ends.items() if end > 0}
        while remaining:
            polled = await consumer.getmany(
                timeout_ms=1000, max_records=settings.worker_batch_size * 4
            )
            batch = [
                _message(reader, r)
                for tp, records in polled.items()
                if tp in remaining
                for r in records
                if r.offset < ends[tp]
            ]
            planned = plan(projection, engine.dialect, batch, replay=True)
            if writing is not None:
                applied += await writing
            # handed to the thread at once: a task would start only when this loop next
            # yields, and with records buffered neither getmany nor decoding yields
            writing = asyncio.get_running_loop().run_in_executor(
                None, apply_messages, conn, projection, batch, replayed, planned
            )
            read += len(batch)
            collect(read)
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
            if progress:
                progress(read, total)
        if writing is not None:
            applied += await writing
            writing = None
        await asyncio.to_thread(_finish, conn, projection, shadow, replayed)
    finally:
        if writing is not None:  # never close the connection under a batch being written
            await asyncio.gather(writing, return_exceptions=True)
        if opened is not None:
            await asyncio.to_thread(opened.close)  # rolls back unless committed
        await consumer.stop()
    return applied


def rebuild(
    settings: Settings, engine: Engine, projection: Projection, progress: Progress | None = None
) -> int:
    """Replay everything up to the current end of the log; returns the events applied."""
    with collecting_every(COLLECT_EVERY) as collect:
        return asyncio.run(_replay(settings, engine, projection, progress, collect))


COLLECT_EVERY = 100_000  # records read between full collections of the garbage


def rebuild_all(settings: Settings, names: Sequence[str], workers: int = 0) -> dict[str, int]:
    """Rebuild several projections at once, each in a process of its own (decoding and
    writing are bound by Python, so one process per core); returns the events applied
    per projection. Each keeps its own transaction and lock, as `rebuild` does."""
    context = multiprocessing.get_context("spawn")
    count = workers or min(len(names), os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        futures = {
            n: pool.submit(_rebuild_named, settings.model_dump_json(), n)
            for n in largest_first(settings, names)
        }
        return {name: futures[name].result() for name in names}


def largest_first(settings: Settings, names: Sequence[str]) -> list[str]:
    """The projections with the most records to replay first: a pool that takes the largest
    last can end with one core replaying it and the other idle."""
    from projections.registry import PROJECTIONS

    ends = end_offsets(settings, {s for n in names for s in PROJECTIONS[n].streams})

    def records(name: str) -> int:
        topics = {settings.topic(s) for s in PROJECTIONS[name].streams}
        return sum(end for (topic, _), end in ends.items() if topic in topics)

    return sorted(names, key=records, reverse=True)


def _rebuild_named(settings_json: str, name: str) -> int:
    from projections.database import make_engine
    from projections.registry import PROJECTIONS

    settings = Settings.model_validate_json(settings_json)
    engine = make_engine(settings.db_url)
    freeze_after_startup(settings.gc_freeze, settings.gc_threshold)
    try:
        return rebuild(settings, engine, PROJECTIONS[name])
    finally:
        engine.dispose()
