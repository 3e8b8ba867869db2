"""Runs a pure decider as the single writer of its aggregates, inside the Faust worker.

Commands arrive on the aggregate's command topic, keyed like its events, so
command partition p and event partition p hold the same aggregates. Commands are
taken in batches; before deciding a batch the runner folds partitions p of the
event topic and of the refusals topic up to their ends: the state is always the
log's own, whoever wrote it and whatever crashed before. Each command is then
decided on that state and its outcome folded at once, and the batch's events and
refusals are published together; they are acknowledged (acks=all) before any
reply is sent and before the commands' offsets are acknowledged to Faust (which commits
them). While a batch's writes await their acknowledgements the next batch may be taken and
decided, its writes held until the first's are acknowledged (`decider_pipeline.py` says how
and why that is safe; `settings.decider_pipeline_depth`). A command seen again
is answered from the log, never decided anew. A batch command (the registrations of one
partition) is one command to the runner: its events are written under each of its
commands' own keys, and it is answered with one reply. Every reply echoes the `reply_to` token
of the message it answers, so it reaches the request that sent that message.

One writer per event partition: commands are keyed like their events and the command and
event topics have the same number of partitions, so the runner of command partition p (one
consumer of the group holds it) is the only writer of event partition p, and it writes
there explicitly (`partition=p`), whatever the producer's partitioner would choose. That
single writer chains each event to its predecessor (events/chain.py): its head is the link
of the partition's last record as folded from the log, never of what it merely sent, so
after a restart, a rebalance or a crash between producing and committing, the next event
chains from what is actually in the log (a batch whose writes fail is folded again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from events import UndecodableMessage
from events.chain import GENESIS, link_of_record
from services.domain.commands import RefusalRecord
from services.domain.deciding import AggregateStore, Decider
from services.runtime.decider_pipeline import DeciderRunner
from services.runtime.faust_app import FETCH_WAIT_MS
from services.runtime.kafka_security import client_options
from services.runtime.ledger import LogReader
from services.runtime.partitioning import partition_for
from services.runtime.publisher import Position, durable_async_producer
from services.runtime.settings import Settings
from services.runtime.topics import partitions_of

log = logging.getLogger(__name__)
# How long a batch of commands waits to fill from its first: the latency it adds to a lone
# command. 10 ms rather than 5: fewer, fuller batches cost Kafka and the worker less per
# command (bench/RESULTS.md, 170 -> 191 distributions/s at 400/s offered).
DECIDE_WITHIN = 0.010


class DecisionLog:
    """Reads the event and refusal topics partition by partition into an AggregateStore."""

    def __init__(self, settings: Settings, stream: str, store: AggregateStore[Any]) -> None:
        self.settings = settings
        self.stream = stream
        self.events_topic = settings.topic(stream)
        self.refusals_topic = settings.topic(f"{stream}-refusals")
        self.store = store
        self.reader = LogReader(settings)
        self.next_offset: dict[TopicPartition, int] = {}
        # The last record folded per event partition (its link computed only when needed).
        self.last_record: dict[TopicPartition, bytes | None] = {}
        self.heads: dict[TopicPartition, str] = {}
        self.partition_count = 0
        # Moves on at each `forget()`: what was decided on an older state is not to be sent.
        self.generation = 0

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            **client_options(self.settings),
            enable_auto_commit=False,
            isolation_level="read_committed",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_wait_ms=FETCH_WAIT_MS,
        )
        await self.consumer.start()
        partitions = await asyncio.to_thread(partitions_of, self.settings, self.stream)
        self.partition_count = len(partitions)
        assigned = [
            TopicPartition(topic, p)
            for topic in (self.events_topic, self.refusals_topic)
            for p in partitions
        ]
        self.consumer.assign(assigned)
        self.consumer.pause(*assigned)  # fetched only while catching up, one at a time

    async def stop(self) -> None:
        await self.consumer.stop()

    async def catch_up(self, partitions: Iterable[int]) -> None:
        """Fold every event and refusal of the partitions written so far."""
        tps = [
            TopicPartition(topic, p)
            for p in sorted(set(partitions))
            for topic in (self.events_topic, self.refusals_topic)
        ]
        ends = await self.consumer.end_offsets(tps)
        for tp in tps:
            if self.next_offset.get(tp, 0) < ends[tp]:
                await self._catch_up(tp, ends[tp])

    def owned_by(self, partition: int) -> Callable[[str], bool]:
        """Whether an aggregate (by its key) is the writer of `partition`'s to decide."""
        count = self.partition_count
        return lambda key: partition_for(key, count) == partition

    def forget(self) -> None:
        """Fold everything again from the start of the log at the next catch-up."""
        self.generation += 1
        self.next_offset.clear()
        self.last_record.clear()
        self.heads.clear()
        self.store.forget()

    def head(self, tp: TopicPartition) -> str:
        """The link the next event of this partition carries: its last record's."""
        if tp not in self.heads:
            self.heads[tp] = (
                link_of_record(self.last_record[tp]) if tp in self.last_record else GENESIS
            )
        return self.heads[tp]

    def chained(self, tp: TopicPartition, link: str) -> None:
        """This writer's next record of `tp` (already folded) has the link `link`."""
        self.heads[tp] = link

    def wrote(self, tp: TopicPartition, offset: int) -> bool:
        """Note that this writer's own record (already folded) sits at `offset`.

        False when someone else wrote in between: the folded state then misses their
        records, and the caller must `forget()` and fold again."""
        if offset != self.next_offset.get(tp, 0):
            return False
        self.next_offset[tp] = offset + 1
        return True

    async def _catch_up(self, tp: TopicPartition, end: int) -> None:
        self.consumer.seek(tp, self.next_offset.get(tp, 0))
        self.consumer.resume(tp)
        try:
            while self.next_offset.get(tp, 0) < end:
                batch = await self.consumer.getmany(tp, timeout_ms=1000)
                for record in batch.get(tp, []):
                    self._fold(tp, record)
                if not batch and await self.consumer.position(tp) >= end:
                    break
        finally:
            self.consumer.pause(tp)

    def _fold(self, tp: TopicPartition, record: Any) -> None:
        if record.offset < self.next_offset.get(tp, 0):
            return
        self.next_offset[tp] = record.offset + 1
        if tp.topic == self.events_topic:
            self.last_record[tp] = record.value
            self.heads.pop(tp, None)
        try:
            if tp.topic == self.refusals_topic:
                self.store.apply_refusal(RefusalRecord.model_validate_json(record.value))
                return
            envelope, event = self.reader.read(
                record.topic, record.partition, record.offset, record.value
            )
        except UndecodableMessage as exc:
            # The projectors park bad and unverified events in the DLQ; deciders pass over them.
            log.warning(
                "%s[%d]@%d not folded: %s", tp.topic, tp.partition, record.offset, exc.reason
            )
            return
        except ValidationError:
            return
        position = Position(self.stream, record.partition, record.offset)
        written_under = record.key.decode() if record.key else None
        self.store.apply(envelope, event, position, written_under)


def _unfolded_in(stream: str) -> Callable[[str, str], None]:
    def unfolded(aggregate_id: str, fault: str) -> None:
        log.error(
            "%s: the events of %r could not be folded (%s); its commands are answered "
            "not_decided until its decider is mended and the worker restarted",
            stream, aggregate_id, fault,
        )  # fmt: skip

    return unfolded


def install_decider(app: faust.App, settings: Settings, decider: Decider[Any]) -> None:
    """Add the agent that decides `decider`'s commands to the worker app."""
    topic = app.topic(
        settings.topic(decider.command_stream),
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
    )
    store = AggregateStore(decider, on_unfolded=_unfolded_in(decider.event_stream))
    decisions = DecisionLog(settings, decider.event_stream, store)

    async def decide_commands(stream: faust.StreamT) -> None:
        producer = durable_async_producer(settings, linger_ms=1)
        await decisions.start()
        await producer.start()
        runner = DeciderRunner(settings, decisions, producer, settings.decider_pipeline_depth)
        try:
            # Offsets acknowledged by the runner, each once its batch's outcome is.
            batches = stream.noack_take(settings.decider_batch_size, DECIDE_WITHIN)  # type: ignore[attr-defined]
            await runner.run(batches, stream.ack)
        finally:
            await producer.stop()
            await decisions.stop()

    app.agent(topic, name=f"decide-{decider.event_stream}", concurrency=1)(decide_commands)
