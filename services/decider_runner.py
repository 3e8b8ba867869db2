"""Runs a pure decider as the single writer of its aggregates, inside the Faust worker.

Commands arrive on the aggregate's command topic, keyed like its events, so
command partition p and event partition p hold the same aggregates. Before
each decision the runner folds partition p of the event topic and of the
refusals topic up to their ends: the state is always the log's own, whoever
wrote it and whatever crashed before. Events (or the refusal) are acknowledged
(acks=all) before the reply is sent and before Faust commits the command's
offset; a command seen again is answered from the log, never decided anew.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from events import UndecodableMessage, decode, encode
from events.serialization import MAX_MESSAGE_BYTES
from services.commands import CommandEnvelope, RefusalRecord, Reply
from services.dead_letters import Origin, dead_letter
from services.deciding import AggregateStore, Decider
from services.logs import correlated
from services.publisher import Position
from services.settings import Settings
from services.topics import partitions_of

log = logging.getLogger(__name__)


class DecisionLog:
    """Reads the event and refusal topics partition by partition into an AggregateStore."""

    def __init__(self, settings: Settings, stream: str, store: AggregateStore[Any]) -> None:
        self.settings = settings
        self.stream = stream
        self.events_topic = settings.topic(stream)
        self.refusals_topic = settings.topic(f"{stream}-refusals")
        self.store = store
        self.next_offset: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            enable_auto_commit=False,
            isolation_level="read_committed",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_wait_ms=50,
        )
        await self.consumer.start()
        partitions = await asyncio.to_thread(partitions_of, self.settings, self.stream)
        assigned = [
            TopicPartition(topic, p)
            for topic in (self.events_topic, self.refusals_topic)
            for p in partitions
        ]
        self.consumer.assign(assigned)
        self.consumer.pause(*assigned)  # fetched only while catching up, one at a time

    async def stop(self) -> None:
        await self.consumer.stop()

    async def catch_up(self, partition: int) -> None:
        """Fold every event and refusal of the partition written so far."""
        for topic in (self.events_topic, self.refusals_topic):
            await self._catch_up(TopicPartition(topic, partition))

    async def _catch_up(self, tp: TopicPartition) -> None:
        end = (await self.consumer.end_offsets([tp]))[tp]
        if self.next_offset.get(tp, 0) >= end:
            return
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
        try:
            if tp.topic == self.refusals_topic:
                self.store.apply_refusal(RefusalRecord.model_validate_json(record.value))
                return
            envelope, event = decode(record.value)
        except (UndecodableMessage, ValidationError):
            return  # the projectors park bad events in the DLQ; deciders pass over them
        self.store.apply(envelope, event, Position(self.stream, record.partition, record.offset))


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

    async def decide_commands(stream: faust.StreamT) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True
        )
        await decisions.start()
        await producer.start()
        try:
            async for event in stream.events():
                reply = await _decide_one(producer, event.message)
                if reply is not None:
                    await producer.send_and_wait(
                        settings.topic("replies"),
                        reply.model_dump_json().encode(),
                        key=reply.command_id.encode(),
                    )
        finally:
            await producer.stop()
            await decisions.stop()

    async def _decide_one(producer: AIOKafkaProducer, message: Origin) -> Reply | None:
        raw = message.value or b""
        try:
            if len(raw) > MAX_MESSAGE_BYTES:
                raise ValueError(f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES}")
            command = CommandEnvelope.model_validate_json(raw)
        except (ValidationError, ValueError) as exc:
            await dead_letter(producer, settings, message, _unreadable(exc))
            return None
        with correlated(command.correlation_id):
            reply = await _decide(producer, message.partition, command)
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
            if reply.error == "invalid_command" and not reply.replayed:
                await dead_letter(producer, settings, message, reply.message or "invalid command")
            return reply

    async def _decide(
        producer: AIOKafkaProducer, partition: int, command: CommandEnvelope
    ) -> Reply:
        await decisions.catch_up(partition)
        outcome = store.handle(command)
        if isinstance(outcome, Reply):
            if outcome.status != "accepted" and not outcome.replayed:
                record = RefusalRecord(digest=command.digest(), reply=outcome)
                await producer.send_and_wait(
                    decisions.refusals_topic,
                    record.model_dump_json().encode(),
                    key=command.command_id.encode(),
                    partition=partition,
                )
            return outcome
        if not outcome:
            return Reply(command_id=command.command_id, status="accepted", replayed=True)
        sent = [
            await producer.send(
                decisions.events_topic,
                encode(e),
                partition=partition,
                key=outcome_key(store, command),
            )
            for e in outcome
        ]
        last = [await f for f in sent][-1]
        await decisions.catch_up(partition)
        return Reply(
            command_id=command.command_id,
            status="accepted",
            events=[{"event_id": str(e.event_id), "type": e.type, "data": e.data} for e in outcome],
            position=str(Position(decider.event_stream, last.partition, last.offset)),
        )

    app.agent(topic, name=f"decide-{decider.event_stream}", concurrency=1)(decide_commands)


def _unreadable(exc: Exception) -> str:
    """Why a command message cannot be read, in the words the DLQ uses for events too."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return "not JSON"
    where = ".".join(map(str, first["loc"])) or "envelope"
    return f"bad envelope: {where}: {first['msg']} ({exc.error_count()} problem(s))"


def outcome_key(store: AggregateStore[Any], command: CommandEnvelope) -> bytes:
    """The aggregate key the command's events are published under."""
    decided = store.decider.commands[command.type].model_validate(command.data)
    return decided.aggregate_id.encode()
