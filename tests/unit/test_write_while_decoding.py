"""A batch is written while the next one is decoded, by the live projector and by a
rebuild, even when the consumer has records buffered.

aiokafka's getmany returns buffered records without yielding to the event loop, and decoding
never yields: a write started as a task would not begin until the batch after it had been
fetched and decoded, and the two would take turns instead of overlapping. Here the decoding
of the second batch waits (a little) for the first batch's write to have begun; it records
whether it had.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from sqlalchemy import Connection, Engine

from events import Envelope, Event
from projections.database import make_engine, migrate
from projections.projection import Batch
from projections.registry import PROJECTIONS
from services.runtime import rebuild
from services.runtime.ledger import LogReader
from services.runtime.projector import Projector
from services.runtime.settings import Settings
from tests.unit.test_projector_rebalance import PARTITION, RebalancingConsumer, receipts, stored

BATCH = 5


class WriteWatched:
    """The inventory projection, noting when its first batch starts being written."""

    def __init__(self) -> None:
        self.inner = PROJECTIONS["inventory"]
        self.name, self.streams, self.tables = self.inner.name, ("stock",), self.inner.tables
        self.keyed_by_event = self.inner.keyed_by_event
        self.reads_views = self.inner.reads_views
        self.write_only = False  # its apply is watched in the transaction
        self.writing = threading.Event()

    def apply(self, conn: Connection, batch: Batch, replay: bool = False) -> None:
        self.writing.set()
        self.inner.apply(conn, batch, replay)


class ReaderWaitingForTheWrite(LogReader):
    """Decodes as the log reader does; at the second batch's first record, waits up to five
    seconds for the first batch's write to have begun, and notes whether it had."""

    def __init__(self, settings: Settings, projection: WriteWatched) -> None:
        super().__init__(settings)
        self.projection = projection
        self.overlapped: bool | None = None

    def read(
        self, topic: str, partition: int, offset: int, raw: bytes | None
    ) -> tuple[Envelope, Event]:
        if offset == BATCH:
            self.overlapped = self.projection.writing.wait(timeout=5.0)
        return super().read(topic, partition, offset, raw)


def settings_in(tmp_path: Path) -> Settings:
    return Settings(
        kafka_bootstrap="127.0.0.1:1",
        topic_prefix="t.",
        data_dir=tmp_path,
        worker_batch_size=BATCH,
    )


def engine_in(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'readmodels.db'}")
    migrate(engine)
    return engine


def test_the_projector_writes_a_batch_while_it_decodes_the_next(tmp_path: Path) -> None:
    log = receipts(3 * BATCH, 12)
    consumer = RebalancingConsumer(log, batch=BATCH)
    consumer.fetches = 2  # no rebalance: records buffered, fetched at once
    settings, engine, projection = settings_in(tmp_path), engine_in(tmp_path), WriteWatched()
    projector = Projector(settings, engine, projection, None, consumer)  # type: ignore[arg-type]
    reader = projector.reader = ReaderWaitingForTheWrite(settings, projection)

    async def run() -> None:
        task = asyncio.create_task(projector.run())
        while not task.done() and await asyncio.to_thread(stored, engine) != {
            (PARTITION.topic, 0): log[-1].offset
        }:
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(asyncio.wait_for(run(), timeout=30))
    assert reader.overlapped is True


class BufferedLog:
    """A consumer of one partition whose records are all buffered: each getmany returns the
    next batch at once, without yielding, as aiokafka's does."""

    def __init__(self, log: Sequence[ConsumerRecord]) -> None:
        self.log, self.next = list(log), 0

    async def getmany(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[Any, Any]:
        records = self.log[self.next : self.next + BATCH]
        self.next += len(records)
        return {PARTITION: records} if records else {}

    async def position(self, tp: TopicPartition) -> int:
        return self.next

    async def stop(self) -> None:
        return None


def test_a_rebuild_writes_a_batch_while_it_decodes_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = receipts(3 * BATCH, 12)
    settings, engine, projection = settings_in(tmp_path), engine_in(tmp_path), WriteWatched()
    reader = ReaderWaitingForTheWrite(settings, projection)

    async def consumer(*_: object) -> tuple[BufferedLog, dict[TopicPartition, int]]:
        return BufferedLog(log), {PARTITION: len(log)}

    monkeypatch.setattr(rebuild, "_consumer", consumer)
    monkeypatch.setattr(rebuild, "LogReader", lambda *_, **__: reader)

    assert rebuild.rebuild(settings, engine, projection) == len(log)  # type: ignore[arg-type]
    assert reader.overlapped is True
