"""Sending a command to its single writer and waiting (bounded) for the decision.

Every command message the bus sends carries a fresh `reply_to` token, which the decider
echoes in its reply; a reply answers only the requests registered under its token, never
a request that merely chose the same command id. Requests for the same command (same id,
same content, same actor) made while its message is in flight share that message and its
reply: a retry racing its original, or an offline batch synced twice at once, all get the
one answer as soon as it is decided. A different command under an id already in flight
sends its own message and gets its own answer (the decider's idempotency conflict).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from services.app.errors import BrokerUnavailable
from services.domain.commands import BatchCommand, Command, CommandEnvelope, Reply
from services.runtime.command_timing import current_timing
from services.runtime.kafka_security import client_options
from services.runtime.reply_watch import ReplyWatch, ReplyWatchers
from services.runtime.settings import Settings
from services.runtime.topics import partitions_of

log = logging.getLogger(__name__)


class DecisionTimeout(BrokerUnavailable):
    """The command was sent but no decision came back in time; retrying is safe."""


def same_request(envelope: CommandEnvelope) -> tuple[str, str, str]:
    """What makes two requests one: the command id, what is asked, and who asks.

    (Not the timestamp nor the correlation id, which every retry has anew.)"""
    return envelope.command_id, envelope.digest(), envelope.actor.model_dump_json()


@dataclass(eq=False)
class InFlight:
    """One command message sent and not yet answered, and how many requests wait for it."""

    token: str
    request: tuple[str, str, str]
    answer: asyncio.Future[Reply]
    waiters: int = 0
    heard_at: float = 0.0  # when its reply was read (for a timed command's stages)


class CommandOut(Protocol):
    """Where commands are written (CommandWriter; tests keep them)."""

    async def append(self, stream: str, messages: Sequence[tuple[str, bytes]]) -> None: ...

    async def stop(self) -> None: ...


class KafkaCommandBus:
    """Commands out through the writer; replies in through one consumer per process."""

    def __init__(self, settings: Settings, writer: CommandOut) -> None:
        self.settings = settings
        self.writer = writer
        self.waiting: dict[str, InFlight] = {}  # by reply token
        self.in_flight: dict[tuple[str, str, str], str] = {}  # same_request(...) -> token
        self.tokens: dict[str, set[str]] = {}  # command id -> tokens of its messages in flight
        self.publishing: set[asyncio.Task[None]] = set()  # kept to the end, whoever leaves
        self.consumer: AIOKafkaConsumer | None = None
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self.watchers = ReplyWatchers()

    async def _listen(self) -> None:
        topic = self.settings.topic("replies")
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            enable_auto_commit=False,
            **client_options(self.settings),
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
            # replies are keyed by command id: most are for other processes' requests
            key = record.key.decode() if record.key else ""
            if key not in self.tokens and not self.watchers.wanted(key):
                continue
            try:
                reply = Reply.model_validate_json(record.value)
            except ValidationError as exc:
                log.warning("unreadable reply at %s:%s: %s", record.partition, record.offset, exc)
                continue
            self.resolve(reply)
            self.watchers.offer(reply)

    def resolve(self, reply: Reply) -> None:
        """Answer every request waiting for the message this reply answers.

        A reply without a token (from a worker that predates them) answers every
        message of its command id, as replies always did."""
        if reply.reply_to is not None:
            tokens = [reply.reply_to]
        else:
            tokens = sorted(self.tokens.get(reply.command_id, ()))
        for token in tokens:
            sent = self._forget(token)
            if sent is not None and not sent.answer.done():
                sent.heard_at = time.time()
                sent.answer.set_result(reply)

    def _forget(self, token: str) -> InFlight | None:
        """No longer wait for this message; a new request for its command sends anew."""
        sent = self.waiting.pop(token, None)
        if sent is None:
            return None
        if self.in_flight.get(sent.request) == token:
            del self.in_flight[sent.request]
        command_id = sent.request[0]
        tokens = self.tokens.get(command_id, set())
        tokens.discard(token)
        if not tokens:
            self.tokens.pop(command_id, None)
        return sent

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
        await self.writer.stop()

    def watch(self, wants: Callable[[str], bool]) -> AbstractContextManager[ReplyWatch]:
        """Follow the replies to commands others send, from now on (see ReplyWatch)."""
        return self.watchers.watch(wants)

    async def send(self, command: Command, envelope: CommandEnvelope) -> Reply:
        return (await self.send_many([(command, envelope)]))[0]

    async def submit(self, command: Command, envelope: CommandEnvelope) -> None:
        """Written to the command stream (acks=all); its reply goes by unheard."""
        message = (command.aggregate_id, envelope.model_dump_json().encode())
        await self.writer.append(command.STREAM, [message])

    async def send_many(self, commands: Sequence[tuple[Command, CommandEnvelope]]) -> list[Reply]:
        """Publish the commands in one flush per stream and wait for all their decisions.

        A command already in flight (from this call or another request) is not sent again:
        its requests share the one reply."""
        try:
            await asyncio.wait_for(self.ready.wait(), self.settings.kafka_timeout_seconds)
        except TimeoutError as exc:
            raise BrokerUnavailable("cannot listen for decisions: Kafka unreachable") from exc
        loop = asyncio.get_running_loop()
        timing = current_timing.get()
        timed: InFlight | None = None  # the one message of a sampled request that is timed
        tokens = []
        joined: dict[str, InFlight] = {}
        asked = 0  # the commands waited for, a batch's each counted
        to_send: dict[str, list[tuple[InFlight, tuple[str, bytes]]]] = defaultdict(list)
        for command, envelope in commands:
            request = same_request(envelope)
            token = self.in_flight.get(request)
            if token is None:
                token = uuid.uuid4().hex
                sent = InFlight(token, request, loop.create_future())
                self.waiting[token] = sent
                self.in_flight[request] = token
                self.tokens.setdefault(envelope.command_id, set()).add(token)
                stamp = timing is not None and timed is None
                timed = sent if stamp else timed
                message = envelope.model_copy(update={"reply_to": token, "timed": stamp})
                value = message.model_dump_json().encode()
                to_send[command.STREAM].append((sent, (command.aggregate_id, value)))
            if token not in joined:
                joined[token] = self.waiting[token]
                joined[token].waiters += 1
                asked += len(command.items()) if isinstance(command, BatchCommand) else 1
            tokens.append(token)
        # a big batch gets more time, at a pace any healthy worker keeps
        timeout = self.settings.decision_timeout_seconds * max(1.0, asked / 500)
        try:
            if to_send:  # sent even if this request goes away: others may wait for it
                publishing = loop.create_task(self._publish(to_send))
                self.publishing.add(publishing)
                publishing.add_done_callback(self.publishing.discard)
                await asyncio.shield(publishing)
                if timing is not None:
                    timing.stamp("command_sent")
            answers = [asyncio.shield(sent.answer) for sent in joined.values()]
            await asyncio.wait_for(asyncio.gather(*answers), timeout)
            if timing is not None and timed is not None:
                timing.stamps |= timed.answer.result().stages or {}
                timing.stamp("reply_heard", timed.heard_at)
        except TimeoutError as exc:
            first = commands[0][1].command_id
            log.warning("no decision within %.1fs for %s (of %d)", timeout, first, len(joined))
            raise DecisionTimeout("no decision in time; retry with the same id") from exc
        finally:
            for token, sent in joined.items():
                sent.waiters -= 1
                if sent.waiters == 0:
                    self._forget(token)
        return [joined[token].answer.result() for token in tokens]

    async def _publish(self, to_send: dict[str, list[tuple[InFlight, tuple[str, bytes]]]]) -> None:
        """Send the messages, stream by stream; a message that cannot be sent fails every
        request waiting for it at once (and the rest of the batch with it)."""
        failure: Exception | None = None
        for stream, messages in to_send.items():
            if failure is None:
                try:
                    await self.writer.append(stream, [m for _, m in messages])
                    continue
                except Exception as exc:
                    failure = exc
            for sent, _ in messages:
                self._forget(sent.token)  # the next request for it sends it anew
                if not sent.answer.done():
                    sent.answer.set_exception(failure)
                    sent.answer.exception()  # seen here, even if no request is left to see it
