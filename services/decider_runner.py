"""Runs a pure decider as the single writer of its aggregates, inside the Faust worker.

Commands arrive on the aggregate's command topic, keyed like its events, so
command partition p and event partition p hold the same aggregates. Before
each decision the runner folds event partition p up to its end: the state is
always the log's own, whoever wrote it and whatever crashed before. Events are
acknowledged (acks=all) before the reply is sent and before Faust commits the
command's offset; a command seen again is answered from the log.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from events import UndecodableMessage, decode, encode
from services.commands import CommandEnvelope, Reply
from services.deciding import AggregateStore, Decider
from services.publisher import Position
from services.settings import Settings
from services.topics import partitions_of

log = logging.getLogger(__name__)


class EventLog:
    """Reads an event topic partition by partition into an AggregateStore."""

    def __init__(self, settings: Settings, stream: str, store: AggregateStore[Any]) -> None:
        self.settings = settings
        self.stream = stream
        self.topic = settings.topic(stream)
        self.store = store
        self.next_offset: dict[int, int] = {}

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
        assigned = [TopicPartition(self.topic, p) for p in partitions]
        self.consumer.assign(assigned)
        self.consumer.pause(*assigned)  # fetched only while catching up, one at a time

    async def stop(self) -> None:
        await self.consumer.stop()

    async def catch_up(self, partition: int) -> None:
        """Fold every event of the partition written so far."""
        tp = TopicPartition(self.topic, partition)
        end = (await self.consumer.end_offsets([tp]))[tp]
        start = self.next_offset.get(partition, 0)
        if start >= end:
            return
        self.consumer.seek(tp, start)
        self.consumer.resume(tp)
        try:
            while self.next_offset.get(partition, 0) < end:
                batch = await self.consumer.getmany(tp, timeout_ms=1000)
                for record in batch.get(tp, []):
                    self._fold(record)
                if not batch and await self.consumer.position(tp) >= end:
                    break
        finally:
            self.consumer.pause(tp)

    def _fold(self, record: Any) -> None:
        if record.offset < self.next_offset.get(record.partition, 0):
            return
        self.next_offset[record.partition] = record.offset + 1
        try:
            envelope, event = decode(record.value)
        except UndecodableMessage:
            return  # the projectors park it in the DLQ; deciders ignore it
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
    events = EventLog(settings, decider.event_stream, store)

    async def decide_commands(stream: faust.StreamT) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True
        )
        await events.start()
        await producer.start()
        try:
            async for event in stream.events():
                await _decide_one(producer, event.message.partition, event.value)
        finally:
            await producer.stop()
            await events.stop()

    async def _decide_one(producer: AIOKafkaProducer, partition: int, raw: bytes) -> None:
        try:
            command = CommandEnvelope.model_validate_json(raw)
        except ValidationError as exc:
            log.error("undecodable command on %s: %s", topic.get_topic_name(), exc)
            await producer.send_and_wait(settings.topic("dlq"), raw)
            return
        await events.catch_up(partition)
        outcome = store.handle(command)
        if isinstance(outcome, Reply):
            reply = outcome
        elif not outcome:
            reply = Reply(command_id=command.command_id, status="accepted", replayed=True)
        else:
            key = store.decider.commands[command.type].model_validate(command.data).aggregate_id
            sent = [await producer.send(events.topic, encode(e), key=key.encode()) for e in outcome]
            metadata = [await f for f in sent]
            await events.catch_up(partition)
            last = metadata[-1]
            position = Position(decider.event_stream, last.partition, last.offset)
            reply = Reply(
                command_id=command.command_id,
                status="accepted",
                events=[
                    {"event_id": str(e.event_id), "type": e.type, "data": e.data} for e in outcome
                ],
                position=str(position),
            )
        await producer.send_and_wait(
            settings.topic("replies"),
            reply.model_dump_json().encode(),
            key=command.command_id.encode(),
        )

    app.agent(topic, name=f"decide-{decider.event_stream}", concurrency=1)(decide_commands)
