"""Hand-written fakes for the ports the domain talks to."""

from __future__ import annotations

import asyncio
import copy
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from events import Actor, Envelope
from services.app.errors import BrokerUnavailable
from services.domain.commands import CommandEnvelope, Reply
from services.runtime.publisher import Position
from services.runtime.reply_watch import ReplyWatch


class InMemoryPublisher:
    """Keeps published envelopes per stream; can pretend the broker is down."""

    def __init__(self) -> None:
        self.streams: dict[str, list[tuple[str, Envelope]]] = defaultdict(list)
        self.down = False

    def publish(self, stream: str, key: str, envelopes: Sequence[Envelope]) -> Position:
        if self.down:
            raise BrokerUnavailable("broker is down (fake)")
        self.streams[stream].extend((key, e) for e in envelopes)
        return Position(stream, 0, len(self.streams[stream]) - 1)

    def envelopes(self, stream: str) -> list[Envelope]:
        return [e for _, e in self.streams[stream]]

    def types(self, stream: str) -> list[str]:
        """The types of the events published to `stream`, in order."""
        return [e.type for _, e in self.streams[stream]]


class InProcessCommandBus:
    """Decides commands at once with the real deciders, publishing to a fake publisher.

    The worker's reactions (`services.app.policies.REACTIONS`) react at once to the events
    a decision publishes, sending their commands through this bus, as the worker would a
    moment later; replies go by the watches (`watch`) as they go by the API's listener."""

    def __init__(self, publisher: InMemoryPublisher, *, policies: bool = True) -> None:
        from services.app.policies import REACTIONS
        from services.domain.deciders import DECIDERS
        from services.domain.deciding import AggregateStore
        from services.runtime.reply_watch import ReplyWatchers

        self.publisher = publisher
        self.stores = {d.command_stream: AggregateStore(d) for d in DECIDERS}
        self._folded: dict[str, int] = defaultdict(int)
        self.watchers = ReplyWatchers()
        self.policies = REACTIONS if policies else {}

    def watch(self, wants: Callable[[str], bool]) -> AbstractContextManager[ReplyWatch]:
        return self.watchers.watch(wants)

    def folded(self) -> tuple[dict[str, Any], dict[str, int]]:
        """A copy of what this bus has folded, to start another bus from (`resume`)."""
        return copy.deepcopy((self.stores, dict(self._folded)))

    def resume(self, folded: tuple[dict[str, Any], dict[str, int]]) -> None:
        stores, offsets = copy.deepcopy(folded)
        self.stores.update(stores)
        self._folded.update(offsets)

    def observe(self, envelope: Envelope) -> None:
        """Fold an event that reached the log another way (seeded test data)."""
        from events import decode, encode

        _, event = decode(encode(envelope))
        for store in self.stores.values():
            if store.decider.event_stream == event.STREAM:
                store.apply(envelope, event)

    def _catch_up(self, store: object) -> None:
        from events import decode, encode

        stream = store.decider.event_stream  # type: ignore[attr-defined]
        envelopes = self.publisher.envelopes(stream)
        for offset in range(self._folded[stream], len(envelopes)):
            _, event = decode(encode(envelopes[offset]))
            store.apply(envelopes[offset], event, Position(stream, 0, offset))  # type: ignore[attr-defined]
        self._folded[stream] = len(envelopes)

    async def send_many(self, commands: list[tuple[object, object]]) -> list[object]:
        """As the Kafka bus: the same request twice in a batch is decided once, both get it."""
        from services.runtime.command_bus import same_request

        decided: dict[tuple[str, str, str], object] = {}
        for command, envelope in commands:
            request = same_request(envelope)  # type: ignore[arg-type]
            if request not in decided:
                decided[request] = await self.send(command, envelope)
        return [decided[same_request(envelope)] for _, envelope in commands]  # type: ignore[arg-type]

    async def submit(self, command: object, envelope: object) -> None:
        await self.send(command, envelope)

    def decide(self, command: object, client_id: str, actor: Actor, at: datetime) -> Reply:
        """`command` sent by `actor` at `at`, decided at once: its reply."""
        wire = CommandEnvelope.of(command, client_id, actor, at)  # type: ignore[arg-type]
        return asyncio.run(self.send(command, wire))  # type: ignore[return-value]

    async def send(self, command: object, envelope: object) -> object:
        reply = await self._decide(command, envelope)
        self.watchers.offer(reply)  # type: ignore[arg-type]
        return reply.model_copy(update={"reply_to": envelope.reply_to})  # type: ignore[attr-defined]

    async def _react(self, stream: str, envelopes: Sequence[Envelope]) -> None:
        from events import decode, encode

        for envelope in envelopes:
            _, event = decode(encode(envelope))
            reaction = self.policies.get(stream, {}).get(type(event))
            if reaction is not None:
                await reaction(self, envelope, event)  # type: ignore[arg-type]

    async def _decide(self, command: object, envelope: object) -> object:
        """The worker's decision core (`AggregateStore.take` and `answer`), written at once."""
        store = self.stores[command.STREAM]  # type: ignore[attr-defined]
        self._catch_up(store)
        decision = store.take(envelope)  # type: ignore[arg-type]
        position = None
        if decision.events:
            stream = store.decider.event_stream
            written = [e for e, _ in decision.events]
            position = self.publisher.publish(stream, decision.key, written)
            self._catch_up(store)  # folds the events from the log, where they landed
            await self._react(stream, written)
        return store.answer(decision, position)


class FakeClock:
    """Time that moves only when a test advances it or code sleeps on it; a sleep returns at
    once and is remembered, so tests assert the waits themselves, not wall-clock windows."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
