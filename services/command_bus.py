"""Sending a command to its single writer and waiting (bounded) for the decision."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi.concurrency import run_in_threadpool

from services.commands import Command, CommandEnvelope, Reply
from services.publisher import BrokerUnavailable, KafkaEventPublisher
from services.settings import Settings
from services.topics import partitions_of

log = logging.getLogger(__name__)


class DecisionTimeout(BrokerUnavailable):
    """The command was sent but no decision came back in time; retrying is safe."""


class CommandBus(Protocol):
    async def send(self, command: Command, envelope: CommandEnvelope) -> Reply: ...

    async def send_many(self, commands: Sequence[tuple[Command, CommandEnvelope]]) -> list[Reply]:
        """Several commands in one go: replies in the same order."""
        ...


class KafkaCommandBus:
    """Commands out through the publisher; replies in through one consumer per process."""

    def __init__(self, settings: Settings, publisher: KafkaEventPublisher) -> None:
        self.settings = settings
        self.publisher = publisher
        self.waiting: dict[str, asyncio.Future[Reply]] = {}
        self.consumer: AIOKafkaConsumer | None = None
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    async def _listen(self) -> None:
        topic = self.settings.topic("replies")
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap, enable_auto_commit=False
        )
        await self.consumer.start()
        numbers = await asyncio.to_thread(partitions_of, self.settings, "replies")
        parts = [TopicPartition(topic, p) for p in numbers]
        self.consumer.assign(parts)
        await self.consumer.seek_to_end(*parts)
        for tp in parts:
            await self.consumer.position(tp)
        self.ready.set()
        async for record in self.consumer:
            future = self.waiting.pop(record.key.decode() if record.key else "", None)
            if future is not None and not future.done():
                future.set_result(Reply.model_validate_json(record.value))

    async def start(self) -> None:
        """Start listening for replies (retrying quietly while Kafka is down)."""
        self.task = asyncio.create_task(self._listen_forever())

    async def _listen_forever(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.ready.clear()
                log.warning("reply listener failed, restarting: %s", exc)
                if self.consumer is not None:
                    await self.consumer.stop()
                    self.consumer = None
                await asyncio.sleep(1)

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
        if self.consumer is not None:
            await self.consumer.stop()

    async def send(self, command: Command, envelope: CommandEnvelope) -> Reply:
        return (await self.send_many([(command, envelope)]))[0]

    async def send_many(self, commands: Sequence[tuple[Command, CommandEnvelope]]) -> list[Reply]:
        """Publish the commands in one flush per stream and wait for all their decisions.

        Commands sharing an id (a record sent twice) share the first one's decision."""
        try:
            await asyncio.wait_for(self.ready.wait(), self.settings.kafka_timeout_seconds)
        except TimeoutError as exc:
            raise BrokerUnavailable("cannot listen for decisions: Kafka unreachable") from exc
        loop = asyncio.get_running_loop()
        futures: dict[str, asyncio.Future[Reply]] = {}
        by_stream: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
        for command, envelope in commands:
            if envelope.command_id in futures:
                continue
            futures[envelope.command_id] = self.waiting[envelope.command_id] = loop.create_future()
            message = (command.aggregate_id, envelope.model_dump_json().encode())
            by_stream[command.STREAM].append(message)
        # a big batch gets more time, at a pace any healthy worker keeps
        timeout = self.settings.decision_timeout_seconds * max(1.0, len(futures) / 500)
        try:
            for stream, messages in by_stream.items():
                await run_in_threadpool(self.publisher.append_keyed, stream, messages)
            await asyncio.wait_for(asyncio.gather(*futures.values()), timeout)
        except TimeoutError as exc:
            raise DecisionTimeout("no decision in time; retry with the same id") from exc
        finally:
            for command_id in futures:
                self.waiting.pop(command_id, None)
        return [futures[envelope.command_id].result() for _, envelope in commands]
