"""The projector loses nothing when the group rebalances while a batch is being written.

The writer skips every message at or below the stored position of its partition, so a
later batch that commits before an earlier one makes the earlier one look done. These
stories drive the real projector, writer and inventory projection on SQLite through a
hand-written consumer that rebalances at the worst moment, as aiokafka's coordinator may:
between two fetches, while the previous batch is still being written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import OperationalError

from projections.database import make_engine, migrate
from projections.projection import Batch
from projections.registry import PROJECTIONS
from projections.tables import inventory_lots
from projections.writer import positions
from services.runtime.projector import Projector
from services.runtime.restarts import BatchStopped
from services.runtime.settings import Settings
from tests.support.events import recorded
from tests.support.stock_stories import MARRAKECH, received

TOPIC = "t.stock"
PARTITION = TopicPartition(TOPIC, 0)


def receipts(count: int, quantity: int) -> list[ConsumerRecord]:
    """`count` receipts of `quantity` baskets at Marrakech, at offsets 0, 1, ..."""
    records = []
    for offset in range(count):
        envelope, _ = recorded(received(quantity, f"RB-{offset}"), command_id=f"receipt-{offset}")
        value, key = Settings().ledger().encode(envelope), MARRAKECH.encode()
        records.append(ConsumerRecord(TOPIC, 0, offset, 0, 0, key, value, None, 0, len(value), []))
    return records


class RebalancingConsumer:
    """A consumer of one partition that hands out `batch` records per fetch and, on the
    second fetch, revokes and reassigns the partition the way aiokafka's coordinator does:
    in a task of its own, logging (not raising) what the listener raises."""

    def __init__(self, log: Sequence[ConsumerRecord], batch: int) -> None:
        self.log, self.batch, self.position, self.fetches = list(log), batch, 0, 0
        self.listener: ConsumerRebalanceListener | None = None
        self.rebalance: asyncio.Task[None] | None = None
        self.listener_failures: list[BaseException] = []

    def subscribe(self, topics: list[str], listener: ConsumerRebalanceListener) -> None:
        self.listener = listener

    async def start(self) -> None:
        assert self.listener is not None
        await self.listener.on_partitions_assigned([PARTITION])

    async def stop(self) -> None:
        if self.rebalance is not None:
            await asyncio.gather(self.rebalance, return_exceptions=True)

    async def getmany(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[Any, Any]:
        self.fetches += 1
        if self.fetches == 2:
            self.rebalance = asyncio.create_task(self._rebalance())
        return await self._fetch(timeout_ms, max_records)

    async def _fetch(self, timeout_ms: int, max_records: int | None) -> dict[Any, Any]:
        """Up to a batch of records from the current position, which moves past them."""
        records = self.log[self.position : self.position + min(self.batch, max_records or 1)]
        if not records:
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        self.position = records[-1].offset + 1
        return {PARTITION: records}

    async def _rebalance(self) -> None:
        assert self.listener is not None
        for callback in (self.listener.on_partitions_revoked, self.listener.on_partitions_assigned):
            try:
                await callback([PARTITION])
            except Exception as exc:  # aiokafka logs a listener's failure and goes on
                self.listener_failures.append(exc)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.position = offset

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        return None


class DatabaseThatBlips:
    """The inventory projection, but the database refuses the first batch once (a restart,
    a failover); the projector retries that batch after a short pause."""

    def __init__(self, failure: Exception) -> None:
        self.inner = PROJECTIONS["inventory"]
        self.name, self.streams, self.tables = self.inner.name, ("stock",), self.inner.tables
        self.keyed_by_event = self.inner.keyed_by_event
        self.reads_views = self.inner.reads_views
        self.write_only = False  # its apply is watched in the transaction
        self.failure: Exception | None = failure

    def apply(self, conn: Connection, batch: Batch, replay: bool = False) -> None:
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        self.inner.apply(conn, batch, replay)


def project(tmp_path: Path, consumer: RebalancingConsumer, projection: object) -> Engine:
    """Run the projector until the last offset is stored (or it stops); return its database."""
    engine = make_engine(f"sqlite:///{tmp_path / 'readmodels.db'}")
    migrate(engine)
    settings = Settings(
        kafka_bootstrap="127.0.0.1:1", topic_prefix="t.", data_dir=tmp_path, worker_batch_size=5
    )
    projector = Projector(settings, engine, projection, None, consumer)  # type: ignore[arg-type]
    everything = {(TOPIC, 0): consumer.log[-1].offset}

    async def run() -> None:
        task = asyncio.create_task(projector.run())
        while not task.done() and await asyncio.to_thread(stored, engine) != everything:
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]

    asyncio.run(asyncio.wait_for(run(), timeout=30))
    return engine


def stored(engine: Engine) -> dict[tuple[str, int], int]:
    with engine.connect() as conn:
        return positions(conn, "inventory")


def on_hand(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.sum(inventory_lots.c.on_hand))) or 0)


def test_a_rebalance_during_a_database_blip_loses_no_receipt(tmp_path: Path) -> None:
    """Given ten receipts of 12 baskets at Marrakech, fetched five at a time, when the
    database refuses the first batch once and the group rebalances before it is retried,
    then all 120 baskets are on hand and the stored position is the last receipt."""
    consumer = RebalancingConsumer(receipts(10, 12), batch=5)
    blip = OperationalError("INSERT", {}, Exception("server closed the connection"))

    engine = project(tmp_path, consumer, DatabaseThatBlips(blip))

    assert on_hand(engine) == 120
    assert stored(engine) == {(TOPIC, 0): 9}
    assert consumer.listener_failures == []


def test_a_batch_that_fails_during_a_rebalance_stops_the_projector(tmp_path: Path) -> None:
    """Given a batch the projection cannot apply (a bug), when a rebalance sees the failure
    first, then the projector still stops with it, and no later batch is written past it."""
    consumer = RebalancingConsumer(receipts(10, 12), batch=5)

    with pytest.raises(
        BatchStopped, match=r"projection inventory stopped at t\.stock\[0\]@0-4: ValueError$"
    ):
        project(tmp_path, consumer, DatabaseThatBlips(ValueError("cannot fold this receipt")))

    engine = make_engine(f"sqlite:///{tmp_path / 'readmodels.db'}")
    assert stored(engine) == {}
    assert on_hand(engine) == 0


class CommittedAheadConsumer(RebalancingConsumer):
    """A consumer as aiokafka's is on (re)assignment: the partition starts at the group's
    committed offset, and the fetcher hands out records from there while the listener is
    still reading the stored positions (in a thread), before its seek."""

    def __init__(self, log: Sequence[ConsumerRecord], batch: int, committed: int) -> None:
        super().__init__(log, batch)
        self.committed = committed
        self.assigning: asyncio.Task[None] | None = None

    async def start(self) -> None:
        assert self.listener is not None
        self.position = self.committed
        self.assigning = asyncio.create_task(self.listener.on_partitions_assigned([PARTITION]))

    async def getmany(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[Any, Any]:
        return await self._fetch(timeout_ms, max_records)  # no rebalance of its own


def test_records_from_a_committed_offset_ahead_of_the_read_model_are_not_taken(
    tmp_path: Path,
) -> None:
    """Given ten receipts of 12 baskets whose group committed offset 6 (the read model was
    restored from an older backup, or is new under a group that already ran), when the
    partition is assigned, then the projector waits for its seek to the stored position
    and all 120 baskets are on hand, not just the 48 after the committed offset."""
    consumer = CommittedAheadConsumer(receipts(10, 12), batch=5, committed=6)

    engine = project(tmp_path, consumer, PROJECTIONS["inventory"])

    assert on_hand(engine) == 120
    assert stored(engine) == {(TOPIC, 0): 9}
