"""Runs the policies that carry a flow from one aggregate's writer to another's in the worker.

The reactions of `services.app.policies` get the events of one stream in batches, reacting
to a batch's events together; the batch is acknowledged only once every reaction is done, so
after a crash the events are reacted to again and get the decisions already recorded.
Distributions are the busiest flow and wait for no decision: their stock commands are sent
straight to the stock writers (a partition's consumptions in a row as one command), a batch
acknowledged once all are on the log.

Batches come from Faust's `noack_take`, and each is acknowledged by hand once done: `take()`
acknowledges a batch in a `finally`, so a graceful stop in the middle of one (SIGTERM while
the reactions await their decisions) would commit events never reacted to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence, Set
from contextlib import AbstractContextManager, asynccontextmanager
from functools import partial
from typing import cast

import faust
import orjson
from aiokafka import AIOKafkaProducer

from events import Envelope, Event, UndecodableMessage
from services.app.errors import BrokerUnavailable
from services.app.policies import REACTIONS, Reaction
from services.app.ports import CommandBus, Watch
from services.domain.commands import Command, CommandEnvelope, Reply
from services.domain.policies import Sent
from services.domain.policies.distributions import site_stock_command
from services.domain.policies.gathering import gathered
from services.runtime.command_bus import KafkaCommandBus
from services.runtime.command_writer import CommandWriter
from services.runtime.dead_letters import Origin
from services.runtime.ledger import LogReader
from services.runtime.partitioning import partition_for
from services.runtime.publisher import durable_async_producer
from services.runtime.settings import Settings

log = logging.getLogger(__name__)
POLICY_BATCH = 500
POLICY_WITHIN = 0.010  # seconds a batch waits to fill
RETRY_SECONDS = 1.0


async def react(
    bus: CommandBus, reactions: Mapping[type[Event], Reaction], reader: LogReader, message: Origin
) -> None:
    """React to one message of the stream, retrying while no decision comes back."""
    if not _of_a_type(message.value, {kind.TYPE for kind in reactions}):
        return  # most of a stream's events cause nothing: not decoded nor verified for nothing
    try:
        envelope, event = _read(reader, message)
    except UndecodableMessage:
        return  # parked by the projectors (an unverified event too: it causes nothing)
    reaction = reactions.get(type(event))
    while reaction is not None:
        try:
            await reaction(bus, envelope, event)
            return
        except BrokerUnavailable as exc:
            log.warning(
                "%s %s: no decision yet (%s); asking again", event.TYPE, envelope.event_id, exc
            )
            await asyncio.sleep(RETRY_SECONDS)


def _of_a_type(value: bytes | None, types: Set[str]) -> bool:
    """Whether the record's envelope names one of `types`, read from its JSON alone (a few
    microseconds, against tens for the whole decode and signature check). Upcasters keep an
    event's type; what is unreadable causes nothing, and the projectors park it."""
    try:
        envelope = orjson.loads(value) if value else None
    except orjson.JSONDecodeError:
        return False
    return isinstance(envelope, dict) and envelope.get("type") in types


def _read(reader: LogReader, message: Origin) -> tuple[Envelope, Event]:
    return reader.read(message.topic, message.partition, message.offset, message.value)


async def in_batches(
    agent_stream: faust.StreamT, handle: Callable[[Sequence[Origin]], Awaitable[None]]
) -> None:
    """Hand each batch's messages to `handle`, then acknowledge its events (only then)."""
    stream = cast("faust.Stream[bytes]", agent_stream)  # StreamT does not declare noack_take
    async for batch in stream.noack_take(POLICY_BATCH, POLICY_WITHIN):
        events = cast("Sequence[faust.EventT[bytes]]", batch)  # it yields events, not values
        await handle([event.message for event in events])
        for event in events:
            await stream.ack(event)


class Submitted:
    """A command bus whose submitted commands (written, their decision not awaited) are held
    in `asked`, in order, to be written together once the batch's reactions are done; what
    is sent and awaited goes at once."""

    def __init__(self, bus: CommandBus) -> None:
        self.bus = bus
        self.asked: list[Sent] = []

    async def send(self, command: Command, envelope: CommandEnvelope) -> Reply:
        return await self.bus.send(command, envelope)

    async def send_many(self, commands: Sequence[tuple[Command, CommandEnvelope]]) -> list[Reply]:
        return await self.bus.send_many(commands)

    def watch(self, wants: Callable[[str], bool]) -> AbstractContextManager[Watch]:
        return self.bus.watch(wants)

    async def submit(self, command: Command, envelope: CommandEnvelope) -> None:
        self.asked.append((command, envelope))


def _partitions(settings: Settings) -> Callable[[str], int]:
    """The partition of a command stream's topic a key falls in."""
    return partial(partition_for, count=settings.partitions)


def _topic(app: faust.App, settings: Settings, stream: str) -> faust.TopicT:
    return app.topic(
        settings.topic(stream),
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
    )


class SharedBus:
    """One command bus for every policy of a worker: one producer and one consumer of the
    replies, not one each (every reply consumer reads every reply). Started by the first
    policy to run, stopped when the last one stops."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bus: KafkaCommandBus | None = None
        self.users = 0
        self._lock: asyncio.Lock | None = None

    @asynccontextmanager
    async def held(self) -> AsyncIterator[KafkaCommandBus]:
        lock = self._lock = self._lock or asyncio.Lock()
        async with lock:
            if self.bus is None:
                writer = CommandWriter(self.settings, client_id="aid-policies")
                bus = KafkaCommandBus(self.settings, writer)
                await bus.start()
                self.bus = bus
            self.users += 1
            held = self.bus
        try:
            yield held
        finally:
            async with lock:
                self.users -= 1
                if self.users == 0 and self.bus is not None:
                    stopped, self.bus = self.bus, None
                    await stopped.stop()


def install_policy(
    app: faust.App,
    settings: Settings,
    stream: str,
    name: str,
    reactions: Mapping[type[Event], Reaction],
    shared: SharedBus,
) -> None:
    """Add the agent that runs `reactions` on the events of `stream` to the worker app."""

    reader = LogReader(settings)

    async def run_policy(events: faust.StreamT) -> None:
        async with shared.held() as bus:
            await in_batches(events, lambda values: react_to_batch(bus, values))

    async def react_to_batch(bus: CommandBus, messages: Sequence[Origin]) -> None:
        """React to every message; what the reactions submit is sent once all are done,
        gathered (`gathered`)."""
        held = Submitted(bus)
        await asyncio.gather(*(react(held, reactions, reader, m) for m in messages))
        for command, envelope in gathered(held.asked, _partitions(settings)):
            while True:
                try:
                    await bus.submit(command, envelope)
                    break
                except BrokerUnavailable as exc:
                    log.warning("%s not written (%s); writing it again", envelope.command_id, exc)
                    await asyncio.sleep(RETRY_SECONDS)

    app.agent(_topic(app, settings, stream), name=name, concurrency=1)(run_policy)


def install_distribution_policy(app: faust.App, settings: Settings) -> None:
    """Every distribution's stock command (and every void's), sent without waiting for its
    decision."""

    reader = LogReader(settings)

    async def consume_site_stock(stream: faust.StreamT) -> None:
        producer = durable_async_producer(settings, linger_ms=1)
        await producer.start()
        try:
            await in_batches(stream, lambda values: send_consume_commands(producer, values))
        finally:
            await producer.stop()

    async def send_consume_commands(producer: AIOKafkaProducer, messages: Sequence[Origin]) -> None:
        """Send a batch's commands together (a partition's consumptions in a row as one); the
        batch is acknowledged once all are."""
        asked = []
        for message in messages:
            try:
                envelope, event = _read(reader, message)
            except UndecodableMessage:
                continue  # parked by the projectors, unverified events too
            stock_command = site_stock_command(event, envelope)
            if stock_command is not None:
                asked.append(stock_command)
        sent = []
        for command, wire in gathered(asked, _partitions(settings)):
            value = wire.model_dump_json().encode()
            key = command.aggregate_id.encode()
            sent.append(await producer.send(settings.topic("stock-commands"), value, key=key))
        await asyncio.gather(*sent)

    topic = _topic(app, settings, "distributions")
    app.agent(topic, name="consume-site-stock", concurrency=1)(consume_site_stock)


def install_policies(app: faust.App, settings: Settings) -> None:
    """The worker's policies (all but the distributions' when `settings.policies` is off)."""
    install_distribution_policy(app, settings)
    if not settings.policies:
        log.warning("policies are off in this worker: flows across aggregates will wait")
        return
    shared = SharedBus(settings)
    for stream, reactions in REACTIONS.items():
        install_policy(app, settings, stream, f"policy-{stream}", reactions, shared)
