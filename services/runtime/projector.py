"""Runs one projection from Kafka: consume in batches, park poison, apply exactly once.

A message that cannot be read is poison: it goes to the DLQ and the projection goes on. A
batch that reads but cannot be applied is not skipped: the projector stops at it
(`BatchStopped`), alone, and is started again (services.runtime.restarts).

Positions live in the read-model database (see projections.writer); on every
partition assignment the consumer seeks to the stored position + 1, so Kafka's
committed offsets are only a hint.

The writer skips every message at or below its partition's stored position, so batches
must commit in the order they were fetched: a later batch committed first would make an
earlier one look done. Hence one batch is written at a time, and a rebalance waits for it
(and sees its failure) together with the run loop instead of taking it away.

For the same reason, no record is taken from a partition before it has been positioned at
its stored position. aiokafka assigns partitions, then calls the listener; while the listener
reads the stored positions, its fetcher may already hand out records from Kafka's committed
offset. When that offset is ahead of the read model (a database restored from a backup, a
new database under a group that already committed), applying those records would store a
position past records never applied, and the seek that follows would find them "done".
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from events import UndecodableMessage
from projections.projection import Projection
from projections.registry import viewed_streams
from projections.writer import Message, Planned, apply_batch, plan, positions
from services.runtime.dead_letters import dead_letter
from services.runtime.kafka_security import client_options
from services.runtime.ledger import LogReader
from services.runtime.restarts import BatchStopped
from services.runtime.settings import Settings

log = logging.getLogger(__name__)


def tune_for_projecting(settings: Settings, beside_deciders: bool = False) -> None:
    """In a process that only projects, hand over the GIL every
    `projector_switch_interval_ms`: the writer threads wait for the database a dozen times
    per batch (PostgreSQL's server, or SQLite running a statement with the GIL released),
    then for the GIL the decoding thread holds. And collect the young generation past
    `projector_gc_threshold` objects: a projector keeps a batch's decoded events until the
    batch is written, and at the worker's threshold it collected about once per batch. Not
    beside the deciders, whose commands waited longer with shorter turns (bench/RESULTS.md,
    "A projection's writes worked out ahead", "SQLite's turns at the GIL, and its upserts
    merged" and "The young generation's threshold")."""
    if beside_deciders:
        return
    sys.setswitchinterval(settings.projector_switch_interval_ms / 1000)
    if settings.projector_gc_threshold:
        gc.set_threshold(settings.projector_gc_threshold, *gc.get_threshold()[1:])


class _SeekToStoredPositions(ConsumerRebalanceListener):
    def __init__(self, projector: Projector) -> None:
        self._projector = projector

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self._projector.unposition(revoked)
        await self._projector.batch_written()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self._projector.unposition(assigned)
        await self._projector.seek_to_stored(assigned)


class Projector:
    """Consumes a projection's streams and applies them batch by batch."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        projection: Projection,
        dlq: AIOKafkaProducer,
        consumer: AIOKafkaConsumer | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.projection = projection
        self.dlq = dlq
        self.reader = LogReader(settings, share=True, views=viewed_streams(projection))
        self.consumer = consumer or self._consumer(settings, projection)
        self._pending: asyncio.Task[None] | None = None
        # Partitions sought to their stored position in the current assignment: records of
        # any other partition may come from elsewhere (Kafka's committed offset).
        self._positioned: set[TopicPartition] = set()
        self.batches_done = 0

    @staticmethod
    def _consumer(settings: Settings, projection: Projection) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            **client_options(settings),
            group_id=f"{settings.topic_prefix}projection-{projection.name}",
            client_id=f"aid-projector-{projection.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=10_000,
            heartbeat_interval_ms=2_000,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )

    def unposition(self, partitions: list[TopicPartition]) -> None:
        """Take nothing from these partitions until they are sought to their stored position."""
        self._positioned.difference_update(partitions)

    async def seek_to_stored(self, assigned: list[TopicPartition]) -> None:
        delay = 0.2
        while True:  # aiokafka swallows a listener's failure: without a seek, nothing is taken
            try:
                stored = await asyncio.to_thread(self._stored_positions)
                break
            except OperationalError as exc:
                log.warning("read-model database unavailable, retrying: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        for tp in assigned:
            # Positioned before the seek, with no await between: records the consumer holds
            # from before the seek no longer match its position and are not handed out, and
            # records fetched after it come from the stored position. A partition never applied
            # starts at offset 0, or at its earliest record once retention removed the start
            # (auto_offset_reset): unlike seek_to_beginning, one partition after another, this
            # waits for no fetch, so a projection reading 30 partitions starts at once.
            self._positioned.add(tp)
            offset = stored.get((tp.topic, tp.partition))
            self.consumer.seek(tp, 0 if offset is None else offset + 1)

    def _stored_positions(self) -> dict[tuple[str, int], int]:
        with self.engine.connect() as conn:
            return positions(conn, self.projection.name)

    async def run(self) -> None:
        """Consume and apply until cancelled. While one batch is written (in a thread, mostly
        waiting on the database), the next one is fetched and decoded, and a write-only
        projection's writes for it are worked out (`plan`); batches still commit one at a
        time and in order."""
        topics = [self.settings.topic(s) for s in self.projection.streams]
        self.consumer.subscribe(topics, listener=_SeekToStoredPositions(self))
        await self.consumer.start()
        try:
            while True:
                batch = await self._next_batch()
                if batch:
                    messages = [await self._message(r) for r in batch]
                    planned = plan(self.projection, self.engine.dialect, messages)
                    await self.finish_pending()
                    self._pending = asyncio.create_task(self._apply(batch, messages, planned))
                    # let it hand the batch to its thread now: with records buffered, the
                    # next getmany and the decoding would not yield before it is awaited
                    await asyncio.sleep(0)
                elif self._pending is not None:
                    await self.finish_pending()
        finally:
            if self._pending is not None:
                self._pending.cancel()
                await asyncio.gather(self._pending, return_exceptions=True)
            await self.consumer.stop()

    async def _next_batch(self) -> list[ConsumerRecord]:
        """Up to a batch of records: what arrives within `projection_linger_ms` of its first,
        then, while the previous batch is still being written, what has arrived meanwhile,
        so batches grow when the database is the slower side."""
        size = self.settings.worker_batch_size
        loop = asyncio.get_running_loop()
        batch: list[ConsumerRecord] = []
        filled_by = 0.0  # the loop's time when the batch stops waiting for more
        while len(batch) < size:
            lingering = max(0.0, filled_by - loop.time()) if batch else 0.2
            polled = await self.consumer.getmany(
                timeout_ms=round(lingering * 1000), max_records=size - len(batch)
            )
            # A partition not yet positioned is sought again once it is: what it gave is
            # dropped here and fetched again from the stored position.
            got = [r for tp, rs in polled.items() if tp in self._positioned for r in rs]
            if got and not batch:
                filled_by = loop.time() + self.settings.projection_linger_ms / 1000
            batch += got
            if not batch:
                break
            if loop.time() < filled_by:
                continue
            if not got or self._pending is None or self._pending.done():
                break
            await asyncio.sleep(0)  # let the fetcher fill its buffer
        return batch

    async def finish_pending(self) -> None:
        """Wait for the batch being written, if any, and raise what it raised (the run loop)."""
        pending = self._pending
        if pending is not None:
            try:
                await pending
            finally:
                self._pending = None

    async def batch_written(self) -> None:
        """Wait until the batch being written, if any, has committed or failed (a rebalance).
        The batch stays the run loop's: the loop awaits it too before taking the next one, so
        two batches are never written at once, and the loop raises a failure seen here first."""
        if self._pending is not None:
            await asyncio.wait([self._pending])

    async def _apply(
        self,
        records: list[ConsumerRecord],
        messages: list[Message],
        planned: Planned | None = None,
    ) -> None:
        delay = 0.2
        while True:
            try:
                await asyncio.to_thread(
                    apply_batch, self.engine, self.projection, messages, planned
                )
                self.batches_done += 1
                break
            except OperationalError as exc:
                log.warning("read-model database unavailable, retrying: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            except Exception as exc:
                where = ((m.topic, m.partition, m.offset) for m in messages)
                raise BatchStopped(f"projection {self.projection.name}", where, exc) from exc
        await self._commit_hint(records)

    async def _message(self, record: ConsumerRecord) -> Message:
        try:
            envelope, event = self.reader.read(
                record.topic, record.partition, record.offset, record.value
            )
        except UndecodableMessage as exc:  # unverified events too: missing or wrong signature
            await dead_letter(self.dlq, self.settings, record, exc.reason)
            return Message(record.topic, record.partition, record.offset)
        return Message(record.topic, record.partition, record.offset, envelope, event)

    async def _commit_hint(self, records: list[ConsumerRecord]) -> None:
        last: dict[TopicPartition, int] = {}
        for r in records:
            last[TopicPartition(r.topic, r.partition)] = r.offset + 1
        try:
            await self.consumer.commit(last)
        except Exception as exc:  # the database holds the truth; a failed hint is harmless
            log.info("offset commit hint failed: %s", exc)
