"""A policy's batch is acknowledged only once its reactions are done.

A graceful stop cancels the agent while its reactions await their decisions; the events of
that batch must not be acknowledged (Faust's `take()` would, in a `finally`), or the offsets
committed on stop would skip events never reacted to.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from services.runtime.policies import in_batches


@dataclass
class Event:
    value: bytes

    @property
    def message(self) -> Event:  # a Faust event's message: where it was read, and its value
        return self


@dataclass
class Stream:
    """The part of a Faust stream `in_batches` uses: batches of events, and `ack`."""

    batches: list[list[bytes]]
    acked: list[bytes] = field(default_factory=list)

    async def noack_take(self, max_: int, within: float) -> AsyncIterator[list[Event]]:
        for batch in self.batches:
            yield [Event(v) for v in batch]

    async def ack(self, event: Event) -> bool:
        self.acked.append(event.value)
        return True


def test_each_batch_is_acknowledged_after_its_reactions() -> None:
    stream = Stream([[b"a", b"b"], [b"c"]])
    seen: list[tuple[list[bytes], list[bytes]]] = []

    async def handle(messages: Sequence[Event]) -> None:
        seen.append(([m.value for m in messages], list(stream.acked)))

    asyncio.run(in_batches(stream, handle))  # type: ignore[arg-type]
    assert seen == [([b"a", b"b"], []), ([b"c"], [b"a", b"b"])]
    assert stream.acked == [b"a", b"b", b"c"]


def test_a_stop_in_the_middle_of_a_batch_acknowledges_none_of_it() -> None:
    stream = Stream([[b"a"], [b"b", b"c"], [b"d"]])
    reacting = asyncio.Event()

    async def handle(messages: Sequence[Event]) -> None:
        if any(m.value == b"b" for m in messages):
            reacting.set()
            await asyncio.sleep(60)  # awaiting a decision when the worker is stopped

    async def stop_while_reacting() -> Any:
        agent = asyncio.create_task(in_batches(stream, handle))  # type: ignore[arg-type]
        await reacting.wait()
        agent.cancel()
        with pytest.raises(asyncio.CancelledError):
            await agent

    asyncio.run(stop_while_reacting())
    assert stream.acked == [b"a"]
