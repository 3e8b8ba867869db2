"""Runs the policies that carry a flow from one aggregate's writer to another's.

The reactions of `services.app.policies` get the events of one stream in batches, reacting
to a batch's events together; the batch's offsets are committed only once every reaction is
done, so after a crash the events are reacted to again and get the decisions already
recorded. Distributions are the busiest flow and wait for no decision: their stock commands
are sent straight to the stock writers (a partition's consumptions in a row as one command),
a batch committed once all are on the log.

Each policy reads its stream with a consumer of its own, in a group of its own
(`<prefix>policy-<name>`), not through the deciders' Faust app: so the policies run beside
the deciders or in processes of their own (`aid worker --role policies`), processes running
them share their partitions, and their events pay no Faust stream's per-event machinery (it
cost the deciders' process more than the reactions themselves; bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from contextlib import AbstractContextManager
from functools import partial

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from kafka.errors import KafkaError as KafkaClientError

from events import Envelope, Event, UndecodableMessage
from services.app.errors import BrokerUnavailable, NotDecided
from services.app.policies import REACTIONS, Reaction
from services.app.ports import CommandBus, Watch
from services.domain.commands import Command, CommandEnvelope, Reply
from services.domain.policies import Sent
from services.domain.policies.distributions import site_stock_command
from services.domain.policies.gathering import gathered
from services.runtime.command_bus import KafkaCommandBus
from services.runtime.command_writer import CommandWriter
from services.runtime.dead_letters import Origin
from services.runtime.faust_app import FETCH_WAIT_MS
from services.runtime.health import group_commits
from services.runtime.kafka_security import client_options
from services.runtime.ledger import LogReader
from services.runtime.partitioning import partition_for
from services.runtime.publisher import durable_async_producer
from services.runtime.restarts import BatchStopped, keep_running
from services.runtime.settings import Settings

log = logging.getLogger(__name__)
POLICY_BATCH = 500
POLICY_WITHIN = 0.010  # seconds a batch waits to fill
RETRY_SECONDS = 1.0
Handler = Callable[[Sequence[Origin]], Awaitable[None]]


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


class PolicyStream:
    """A policy's events from its stream, handed to `handle` in batches; a batch's offsets are
    committed once `handle` is done with it, never before (a stop in the middle of a batch
    commits none of it), and a rebalance waits for the batch in hand.

    Nothing is taken from a partition before it is sought to where the policy resumes
    (`position`): aiokafka's fetcher may hand out records from the earliest offset while the
    listener still asks where that is (as services.runtime.projector explains)."""

    def __init__(
        self,
        settings: Settings,
        name: str,
        stream: str,
        handle: Handler,
        consumer: AIOKafkaConsumer | None = None,
    ) -> None:
        self.settings = settings
        self.name = name
        self.topic = settings.topic(stream)
        self.handle = handle
        self.consumer = consumer or AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            **client_options(settings),
            group_id=f"{settings.topic_prefix}policy-{name}",
            client_id=f"aid-policy-{name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=10_000,
            heartbeat_interval_ms=2_000,
            fetch_max_wait_ms=FETCH_WAIT_MS,  # see services.runtime.faust_app
        )
        self._idle = asyncio.Event()  # no batch in hand
        self._idle.set()
        self._positioned: set[TopicPartition] = set()
        self.batches_done = 0

    async def run(self) -> None:
        """Consume and react until cancelled."""
        self.consumer.subscribe([self.topic], listener=_FinishTheBatchFirst(self))
        await self.consumer.start()
        try:
            while True:
                batch = await self._next_batch()
                self._idle.clear()
                try:
                    await self._react(batch)
                    await self._commit(batch)
                    self.batches_done += 1
                finally:
                    self._idle.set()
        finally:
            await self.consumer.stop()

    async def _react(self, batch: list[ConsumerRecord]) -> None:
        try:
            await self.handle(batch)
        except Exception as exc:
            where = ((r.topic, r.partition, r.offset) for r in batch)
            raise BatchStopped(f"policy {self.name}", where, exc) from exc

    async def _next_batch(self) -> list[ConsumerRecord]:
        """The records that arrive within `POLICY_WITHIN` of a batch's first (waited for
        without a timer ticking), up to `POLICY_BATCH`."""
        loop = asyncio.get_running_loop()
        batch: list[ConsumerRecord] = []
        while not batch:
            polled = await self.consumer.getmany(timeout_ms=1_000, max_records=POLICY_BATCH)
            batch = self._positioned_records(polled)
        filled_by = loop.time() + POLICY_WITHIN
        while len(batch) < POLICY_BATCH and (left := filled_by - loop.time()) > 0:
            polled = await self.consumer.getmany(
                timeout_ms=max(1, round(left * 1000)), max_records=POLICY_BATCH - len(batch)
            )
            batch += self._positioned_records(polled)
        return batch

    def _positioned_records(
        self, polled: Mapping[TopicPartition, list[ConsumerRecord]]
    ) -> list[ConsumerRecord]:
        """What a fetch gave from positioned partitions; the others are fetched again from
        their position once sought there."""
        return [r for tp, records in polled.items() if tp in self._positioned for r in records]

    async def batch_done(self) -> None:
        """Wait until no batch is in hand (reacted to and committed, or given up)."""
        await self._idle.wait()

    def unposition(self, partitions: list[TopicPartition]) -> None:
        """Take nothing from these partitions until they are sought again."""
        self._positioned.difference_update(partitions)

    async def position(self, assigned: list[TopicPartition]) -> None:
        """Seek each assigned partition to where the policy resumes: its group's commit, else
        where the policy left it as an agent of the deciders' Faust app (whose group,
        `<prefix>worker`, it committed in then), else the earliest event. So a worker
        upgraded from then does not react to its whole history again (harmless, each
        decision already recorded, but long)."""
        delay = 0.2
        while True:  # aiokafka swallows a listener's failure: unpositioned, nothing is taken
            try:
                own = {tp: await self.consumer.committed(tp) for tp in assigned}
                break
            except KafkaError as exc:
                log.warning("policy %s: its commits unknown (%s); asking again", self.name, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        fresh = [tp for tp, offset in own.items() if offset is None]
        left: dict[TopicPartition, int] = {}
        if fresh:
            try:
                left = await asyncio.to_thread(faust_offsets, self.settings, fresh)
            except KafkaClientError as exc:
                log.warning("policy %s: from the earliest (%s)", self.name, exc)
        for tp in assigned:
            offset = own[tp]
            # positioned before the seek, with no await between (see Projector.seek_to_stored);
            # offset 0 past the retention starts at the earliest record (auto_offset_reset)
            self._positioned.add(tp)
            self.consumer.seek(tp, left.get(tp, 0) if offset is None else offset)

    async def _commit(self, batch: Sequence[ConsumerRecord]) -> None:
        after = {TopicPartition(r.topic, r.partition): r.offset + 1 for r in batch}
        try:
            await self.consumer.commit(after)
        except KafkaError as exc:  # partitions taken away meanwhile: their next owner reacts
            log.info("policy %s: offsets not committed (%s); reacted to again", self.name, exc)


def faust_offsets(
    settings: Settings, partitions: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """What the deciders' Faust app group committed for these partitions, where it did."""
    commits = group_commits(settings, f"{settings.topic_prefix}worker", partitions)
    return {TopicPartition(*place): offset for place, offset in commits.items()}


class _FinishTheBatchFirst(ConsumerRebalanceListener):
    """Partitions are handed over once the batch in hand is reacted to and committed, and
    taken from once positioned."""

    def __init__(self, stream: PolicyStream) -> None:
        self._stream = stream

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self._stream.unposition(revoked)
        await self._stream.batch_done()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self._stream.unposition(assigned)
        await self._stream.position(assigned)


class Submitted:
    """A command bus whose submitted commands (written, their decision not awaited) are held
    in `asked`, in order, to be written together once the batch's reactions are done; what
    is sent and awaited goes at once."""

    def __init__(self, bus: CommandBus) -> None:
        self.bus = bus
        self.asked: list[Sent] = []

    async def send(self, command: Command, envelope: CommandEnvelope) -> Reply:
        return _decided(await self.bus.send(command, envelope))

    async def send_many(self, commands: Sequence[tuple[Command, CommandEnvelope]]) -> list[Reply]:
        return [_decided(reply) for reply in await self.bus.send_many(commands)]

    def watch(self, wants: Callable[[str], bool]) -> AbstractContextManager[Watch]:
        return self.bus.watch(wants)

    async def submit(self, command: Command, envelope: CommandEnvelope) -> None:
        self.asked.append((command, envelope))


def _decided(reply: Reply) -> Reply:
    """A decision, or NotDecided when the writer faulted on the command: the policy's batch
    then stops there, to be reacted to again once the writer is mended, rather than taking
    the fault for a refusal (a convoy put back to planned, a donation never received)."""
    if reply.status == "failed":
        raise NotDecided(reply.message or "not decided")
    return reply


def _partitions(settings: Settings) -> Callable[[str], int]:
    """The partition of a command stream's topic a key falls in."""
    return partial(partition_for, count=settings.partitions)


def policy_stream(
    settings: Settings, stream: str, reactions: Mapping[type[Event], Reaction], bus: CommandBus
) -> PolicyStream:
    """The consumer that runs `reactions` on the events of `stream`, sending by `bus`."""

    reader = LogReader(settings)

    async def react_to_batch(messages: Sequence[Origin]) -> None:
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

    return PolicyStream(settings, stream, stream, react_to_batch)


def distribution_policy_stream(settings: Settings, producer: AIOKafkaProducer) -> PolicyStream:
    """Every distribution's stock command (and every void's), sent without waiting for its
    decision, by `producer`."""

    reader = LogReader(settings)

    async def send_consume_commands(messages: Sequence[Origin]) -> None:
        """Send a batch's commands together (a partition's consumptions in a row as one); the
        batch is committed once all are."""
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

    return PolicyStream(settings, "consume-site-stock", "distributions", send_consume_commands)


async def run_policies(settings: Settings) -> None:
    """Run the worker's policies until cancelled (all but the distributions' when
    `settings.policies` is off). They share one command bus: one producer and one consumer
    of the replies, not one each (every reply consumer reads every reply)."""
    producer = durable_async_producer(settings, linger_ms=1)
    bus = KafkaCommandBus(settings, CommandWriter(settings, client_id="aid-policies"))
    await producer.start()
    await bus.start()
    try:
        streams = [partial(distribution_policy_stream, settings, producer)]
        if settings.policies:
            streams += [
                partial(policy_stream, settings, stream, reactions, bus)
                for stream, reactions in REACTIONS.items()
            ]
        else:
            log.warning("policies are off in this worker: flows across aggregates will wait")
        await asyncio.gather(*(keep_running(start) for start in streams))
    finally:
        await bus.stop()
        await producer.stop()
