"""Runs a pure decider as the single writer of its aggregates, inside the Faust worker.

Commands arrive on the aggregate's command topic, keyed like its events, so
command partition p and event partition p hold the same aggregates. Commands are
taken in batches; before deciding a batch the runner folds partitions p of the
event topic and of the refusals topic up to their ends: the state is always the
log's own, whoever wrote it and whatever crashed before. Each command is then
decided on that state and its outcome folded at once, and the batch's events and
refusals are published together; they are acknowledged (acks=all) before any
reply is sent and before Faust commits the commands' offsets. A command seen again
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
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from events import UndecodableMessage
from events.chain import GENESIS, link_of_record
from events.serialization import MAX_MESSAGE_BYTES
from services.domain.commands import CommandEnvelope, RefusalRecord, Reply
from services.domain.deciding import AggregateStore, Decider, Decision, OutcomeKey
from services.runtime.command_timing import stamped
from services.runtime.dead_letters import Origin, dead_letter
from services.runtime.kafka_security import client_options
from services.runtime.ledger import LogReader
from services.runtime.logs import correlated
from services.runtime.publisher import Position, durable_async_producer
from services.runtime.settings import Settings
from services.runtime.topics import partition_for, partitions_of

log = logging.getLogger(__name__)
# How long a batch of commands waits to fill: the latency it adds to a lone command.
DECIDE_WITHIN = 0.005


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

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            **client_options(self.settings),
            enable_auto_commit=False,
            isolation_level="read_committed",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_wait_ms=50,
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


def install_decider(app: faust.App, settings: Settings, decider: Decider[Any]) -> None:
    """Add the agent that decides `decider`'s commands to the worker app."""
    topic = app.topic(
        settings.topic(decider.command_stream),
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
    )
    store: AggregateStore[Any] = AggregateStore(decider)
    decisions = DecisionLog(settings, decider.event_stream, store)
    keys = settings.ledger()

    async def decide_commands(stream: faust.StreamT) -> None:
        producer = durable_async_producer(settings, linger_ms=1)
        await decisions.start()
        await producer.start()
        try:
            batches = stream.take_events(settings.decider_batch_size, DECIDE_WITHIN)  # type: ignore[attr-defined]
            async for events in batches:
                await decide_batch(producer, [event.message for event in events])
        finally:
            await producer.stop()
            await decisions.stop()

    async def decide_batch(producer: AIOKafkaProducer, messages: Sequence[Origin]) -> None:
        """Decide commands one after the other on the folded state, then publish what they
        decided in one go; reply only once every event and refusal is acknowledged."""
        took = time.time()
        commands = [(m, c) for m in messages if (c := await _read(producer, m)) is not None]
        if not commands:
            return
        await decisions.catch_up(m.partition for m, _ in commands)
        pending = _Pending(decisions)
        try:
            decided = [await _decide(producer, m, c, pending) for m, c in commands]
            positions = await pending.settle()
            acked = time.time()
        except BaseException:
            decisions.forget()  # what was folded ahead of the log may never have reached it
            raise
        replies = [  # each to the request that sent its message, even a replayed one
            store.answer(decision, positions.get(decision.outcome_key)).model_copy(
                update={"reply_to": c.reply_to}
            )
            for (_, c), decision in zip(commands, decided, strict=True)
        ]
        sent = []
        for (message, command), reply in zip(commands, replies, strict=True):
            with correlated(command.correlation_id):
                _log_decision(command, reply)
                if reply.error == "invalid_command" and not reply.replayed:
                    await dead_letter(
                        producer, settings, message, reply.message or "invalid command"
                    )
            if command.timed:
                reply = stamped(reply, took, acked)
            sent.append(
                await producer.send(
                    settings.topic("replies"),
                    reply.model_dump_json().encode(),
                    key=reply.command_id.encode(),
                )
            )
        await asyncio.gather(*sent)

    async def _read(producer: AIOKafkaProducer, message: Origin) -> CommandEnvelope | None:
        raw = message.value or b""
        try:
            if len(raw) > MAX_MESSAGE_BYTES:
                raise ValueError(f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES}")
            return CommandEnvelope.model_validate_json(raw)
        except (ValidationError, ValueError) as exc:
            await dead_letter(producer, settings, message, _unreadable(exc))
            return None

    async def _decide(
        producer: AIOKafkaProducer, message: Origin, command: CommandEnvelope, pending: _Pending
    ) -> Decision:
        """Decide on the folded state and fold the outcome at once (the next command of the
        batch may concern the same aggregate); the writes are sent, not yet awaited."""
        partition = message.partition
        decision = store.take(command, owns=decisions.owned_by(partition))
        if decision.refusal is not None:
            tp = TopicPartition(decisions.refusals_topic, partition)
            future = await producer.send(
                tp.topic,
                decision.refusal.model_dump_json().encode(),
                key=command.command_id.encode(),
                partition=partition,
            )
            pending.add(tp, future, None)
        store.fold(decision)
        tp = TopicPartition(decisions.events_topic, partition)
        for i, (envelope, _) in enumerate(decision.events):
            value, link = keys.encode_chained(envelope, decisions.head(tp))
            decisions.chained(tp, link)
            future = await producer.send(
                tp.topic, value, partition=partition, key=decision.record_key(i).encode()
            )
            pending.add(tp, future, decision.outcome_key)
        return decision

    app.agent(topic, name=f"decide-{decider.event_stream}", concurrency=1)(decide_commands)


class _Pending:
    """The writes of one batch: awaited in order, checked to follow the folded log."""

    def __init__(self, decisions: DecisionLog) -> None:
        self.decisions = decisions
        self.writes: list[tuple[TopicPartition, asyncio.Future[Any], OutcomeKey | None]] = []

    def add(
        self, tp: TopicPartition, future: asyncio.Future[Any], outcome: OutcomeKey | None
    ) -> None:
        self.writes.append((tp, future, outcome))

    async def settle(self) -> dict[OutcomeKey, Position]:
        """Wait for every acknowledgement; the position of each command's last event."""
        positions: dict[OutcomeKey, Position] = {}
        contiguous = True
        for tp, future, outcome in self.writes:
            metadata = await future
            contiguous = self.decisions.wrote(tp, metadata.offset) and contiguous
            if outcome is not None:
                position = Position(self.decisions.stream, metadata.partition, metadata.offset)
                positions[outcome] = position
                self.decisions.store.placed(outcome, position)
        if not contiguous:
            log.warning(
                "another writer wrote to %s meanwhile; folding again", self.decisions.stream
            )
            self.decisions.forget()
        return positions


def _log_decision(command: CommandEnvelope, reply: Reply) -> None:
    log.info(
        "%s %s: %s%s",
        command.type,
        command.command_id,
        reply.status,
        f" ({reply.error})" if reply.error else "",
        extra={
            "command": command.type,
            "command_id": command.command_id,
            "outcome": reply.status,
            "error": reply.error,
            "replayed": reply.replayed,
        },
    )


def _unreadable(exc: Exception) -> str:
    """Why a command message cannot be read, in the words the DLQ uses for events too."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return "not JSON"
    where = ".".join(map(str, first["loc"])) or "envelope"
    return f"bad envelope: {where}: {first['msg']} ({exc.error_count()} problem(s))"
