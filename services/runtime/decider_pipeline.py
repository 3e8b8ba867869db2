"""The decider's batches, one after the other or pipelined (settings.decider_pipeline_depth).

A batch goes through four steps: its commands are read (an unreadable one is parked in the
DLQ), the partitions they concern are caught up and each command is decided on the folded
state (its outcome folded at once, its events chained and encoded, nothing sent yet), its
writes are sent, and once every one is acknowledged the batch is finished: its replies are
sent, then its commands' offsets are acknowledged to Faust, in the order they were taken.

With depth 1 a batch is finished before the next is taken. With depth 2 the finishing of
batch N runs on its own while batch N+1 is taken and decided, so N's replies wait only for
N's acknowledgements, never for N+1's fill, catch-up or decisions. What keeps it safe:

- N+1 catches up only the partitions N has no writes in flight on. On those this runner is
  the single writer: their records beyond what it folded are N's, already folded ahead of
  the log; reading them again would fold them twice. Anyone else's record is caught by N's
  contiguity check (`DecisionLog.wrote`).
- N+1's writes are held until N is acknowledged. If N fails, none of N+1's events can be in
  the log, so nothing chains from a record that never landed.
- If N's writes were not where the runner folded them (another writer wrote meanwhile),
  `DecisionLog.forget()` moves its generation on: N+1's decisions, taken on a state that
  missed that writer's records, are dropped unsent, and N+1 is folded and decided again.
- If N's writes fail, the state is forgotten and the failure logged, and raised as with
  depth 1 once N+1 is decided (or when the runner stops): N+1 is dropped unsent and
  unacknowledged, like N (their senders' retries are answered from the log, or decided anew
  if nothing of theirs landed).
- A command of N+1 that repeats one of N is answered from N's outcome, folded ahead; its
  reply goes after N+1's acknowledgements, so after N's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaProducer, TopicPartition
from pydantic import ValidationError

from events.serialization import MAX_MESSAGE_BYTES
from services.domain.commands import CommandEnvelope, Reply
from services.domain.deciding import Decision, OutcomeKey
from services.runtime.command_timing import stamped
from services.runtime.dead_letters import Origin, dead_letter
from services.runtime.logs import correlated
from services.runtime.publisher import Position
from services.runtime.settings import Settings

if TYPE_CHECKING:
    from services.runtime.decider_runner import DecisionLog

log = logging.getLogger("services.runtime.decider_runner")


@dataclass(frozen=True)
class _Write:
    """One event or refusal decided, to be sent to `tp` under `key`."""

    tp: TopicPartition
    value: bytes
    key: bytes
    outcome: OutcomeKey | None


@dataclass
class _Batch:
    """The commands taken together: the stream's events (acknowledged once finished), the
    commands read from them, what they were decided to and the writes that carries."""

    events: Sequence[Any]
    took: float
    commands: list[tuple[Origin, CommandEnvelope]] = field(default_factory=list)
    decided: list[Decision] = field(default_factory=list)
    writes: list[_Write] = field(default_factory=list)
    generation: int = -1  # of the DecisionLog state it was decided on

    @property
    def partitions(self) -> frozenset[int]:
        """The partitions this batch writes to."""
        return frozenset(w.tp.partition for w in self.writes)


class DeciderRunner:
    """Takes batches of command messages and decides them as the single writer (above)."""

    def __init__(
        self,
        settings: Settings,
        decisions: DecisionLog,
        producer: AIOKafkaProducer,
        depth: int = 1,
    ) -> None:
        self.settings = settings
        self.decisions = decisions
        self.store = decisions.store
        self.producer = producer
        self.depth = depth
        self.keys = settings.ledger()

    async def run(
        self, batches: AsyncIterable[Sequence[Any]], ack: Callable[[Any], Awaitable[Any]]
    ) -> None:
        """Decide each batch of stream events (each has a `.message`); `ack` acknowledges
        an event's offset once its batch is finished."""
        in_flight: tuple[_Batch, asyncio.Task[None]] | None = None
        try:
            async for events in batches:
                batch = await self._read(events)
                writing = in_flight[0].partitions if in_flight and not in_flight[1].done() else ()
                await self._decide(batch, skip=writing)
                if in_flight is not None:
                    previous, finishing = in_flight
                    in_flight = None
                    await finishing  # N+1's writes wait for N's acknowledgements
                    if previous.generation != self.decisions.generation:
                        self.decisions.forget()  # what N+1 folded on the forgotten state too
                        await self._decide(batch, skip=())
                finishing = asyncio.ensure_future(self._finish(batch, await self._send(batch), ack))
                if self.depth > 1:
                    in_flight = (batch, finishing)
                else:
                    await finishing
        finally:
            if in_flight is not None:
                await _wait_out(in_flight[1])

    async def _read(self, events: Sequence[Any]) -> _Batch:
        batch = _Batch(events, took=time.time())
        for event in events:
            message = event.message
            command = await self._command(message)
            if command is not None:
                batch.commands.append((message, command))
        return batch

    async def _command(self, message: Origin) -> CommandEnvelope | None:
        raw = message.value or b""
        try:
            if len(raw) > MAX_MESSAGE_BYTES:
                raise ValueError(f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES}")
            return CommandEnvelope.model_validate_json(raw)
        except (ValidationError, ValueError) as exc:
            await dead_letter(self.producer, self.settings, message, _unreadable(exc))
            return None

    async def _decide(self, batch: _Batch, skip: Collection[int]) -> None:
        """Catch up the batch's partitions (but `skip`), then decide its commands in order."""
        batch.generation = self.decisions.generation
        partitions = {m.partition for m, _ in batch.commands} - set(skip)
        if partitions:
            await self.decisions.catch_up(partitions)
        batch.writes = []
        batch.decided = [self._take(m, c, batch.writes) for m, c in batch.commands]

    def _take(self, message: Origin, command: CommandEnvelope, writes: list[_Write]) -> Decision:
        """Decide on the folded state and fold the outcome at once (the next command of the
        batch may concern the same aggregate); its writes are noted, not sent."""
        partition = message.partition
        decision = self.store.take(command, owns=self.decisions.owned_by(partition))
        if decision.refusal is not None:
            tp = TopicPartition(self.decisions.refusals_topic, partition)
            value = decision.refusal.model_dump_json().encode()
            writes.append(_Write(tp, value, command.command_id.encode(), None))
        self.store.fold(decision)
        tp = TopicPartition(self.decisions.events_topic, partition)
        for i, (envelope, _) in enumerate(decision.events):
            value, link = self.keys.encode_chained(envelope, self.decisions.head(tp))
            self.decisions.chained(tp, link)
            writes.append(_Write(tp, value, decision.record_key(i).encode(), decision.outcome_key))
        return decision

    async def _send(self, batch: _Batch) -> _Pending:
        pending = _Pending(self.decisions)
        try:
            for w in batch.writes:
                future = await self.producer.send(
                    w.tp.topic, w.value, key=w.key, partition=w.tp.partition
                )
                pending.add(w.tp, future, w.outcome)
        except BaseException:
            self.decisions.forget()  # what was folded ahead of the log may never reach it
            raise
        return pending

    async def _finish(
        self, batch: _Batch, pending: _Pending, ack: Callable[[Any], Awaitable[Any]]
    ) -> None:
        """Once every write is acknowledged: the replies, then the offsets, in order."""
        try:
            positions = await pending.settle()
            acked = time.time()
        except Exception as exc:
            log.error("the writes of a batch of %d command(s) failed: %r", len(batch.events), exc)
            self.decisions.forget()  # what was folded ahead of the log may never have reached it
            raise
        except BaseException:
            self.decisions.forget()
            raise
        sent = []
        for (message, command), decision in zip(batch.commands, batch.decided, strict=True):
            placed = positions.get(decision.outcome_key)
            reply = self.store.answer(decision, placed[-1] if placed else None, placed)
            reply = reply.model_copy(update={"reply_to": command.reply_to})  # even a replay's
            with correlated(command.correlation_id):
                _log_decision(command, reply)
                if reply.error == "invalid_command" and not reply.replayed:
                    await dead_letter(
                        self.producer, self.settings, message, reply.message or "invalid command"
                    )
                elif reply.status == "failed":
                    await dead_letter(self.producer, self.settings, message, _fault(reply))
            if command.timed:
                reply = stamped(reply, batch.took, acked)
            sent.append(
                await self.producer.send(
                    self.settings.topic("replies"),
                    reply.model_dump_json().encode(),
                    key=reply.command_id.encode(),
                )
            )
        await asyncio.gather(*sent)
        for event in batch.events:
            await ack(event)


class _Pending:
    """The writes of one batch: awaited in order, checked to follow the folded log."""

    def __init__(self, decisions: DecisionLog) -> None:
        self.decisions = decisions
        self.writes: list[tuple[TopicPartition, asyncio.Future[Any], OutcomeKey | None]] = []

    def add(
        self, tp: TopicPartition, future: asyncio.Future[Any], outcome: OutcomeKey | None
    ) -> None:
        self.writes.append((tp, future, outcome))

    async def settle(self) -> dict[OutcomeKey, list[Position]]:
        """Wait for every acknowledgement; where each command's events landed, in order."""
        positions: dict[OutcomeKey, list[Position]] = {}
        contiguous = True
        for tp, future, outcome in self.writes:
            metadata = await future
            contiguous = self.decisions.wrote(tp, metadata.offset) and contiguous
            if outcome is not None:
                position = Position(self.decisions.stream, metadata.partition, metadata.offset)
                positions.setdefault(outcome, []).append(position)
        if not contiguous:
            log.warning(
                "another writer wrote to %s meanwhile; folding again", self.decisions.stream
            )
            self.decisions.forget()
        return positions


async def _wait_out(task: asyncio.Future[None]) -> None:
    """Let a batch in flight finish (its replies and offsets) when the runner stops."""
    if not task.done():
        await asyncio.wait([task])
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("a batch in flight failed as the decider stopped: %r", exc)


def _fault(reply: Reply) -> str:
    return f"the decider failed on it: {reply.details.get('fault', 'unknown')}"


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
