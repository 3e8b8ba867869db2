"""A projector lets a batch fill for `projection_linger_ms` after its first event.

A batch costs a transaction and its statements whatever its size, so events trickling in one
at a time are taken together when the setting allows it, and one by one when it is 0. The
consumer here hands out records as they "arrive", one every 10 ms from the first fetch; the
lingers asked are far longer than the arrivals they should gather, so a slow machine changes
nothing but the test's duration."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

from projections.database import make_engine
from projections.registry import PROJECTIONS
from services.runtime.projector import Projector
from services.runtime.settings import Settings

PARTITION = TopicPartition("t.stock", 0)
GAP = 0.010


class Trickle:
    """One partition whose records arrive one every GAP seconds from the first fetch on."""

    def __init__(self, count: int) -> None:
        self.records = [
            ConsumerRecord(PARTITION.topic, 0, n, 0, 0, b"k", b"{}", None, 0, 2, [])
            for n in range(count)
        ]
        self.taken = 0
        self.first_fetch: float | None = None

    def arrived(self, now: float) -> int:
        assert self.first_fetch is not None
        return min(len(self.records), int((now - self.first_fetch) / GAP) + 1)

    async def getmany(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[Any, Any]:
        loop = asyncio.get_running_loop()
        if self.first_fetch is None:
            self.first_fetch = loop.time()
        until = loop.time() + timeout_ms / 1000
        while self.arrived(loop.time()) == self.taken and loop.time() < until:
            await asyncio.sleep(0.001)
        ready = self.records[self.taken : self.arrived(loop.time())][: max_records or None]
        self.taken += len(ready)
        return {PARTITION: ready} if ready else {}


def first_batch(linger_ms: int, count: int) -> list[int]:
    settings = Settings(projection_linger_ms=linger_ms)
    consumer = Trickle(count)
    projector = Projector(
        settings, make_engine("sqlite://"), PROJECTIONS["inventory"], dlq=None,  # type: ignore[arg-type]
        consumer=consumer,  # type: ignore[arg-type]
    )  # fmt: skip
    projector._positioned.add(PARTITION)  # as the rebalance listener does once sought

    async def take() -> list[int]:
        return [r.offset for r in await projector._next_batch()]

    return asyncio.run(take())


def test_events_trickling_in_are_taken_together_within_the_linger() -> None:
    assert first_batch(linger_ms=2_000, count=4) == [0, 1, 2, 3]


def test_without_a_linger_a_batch_is_what_has_arrived() -> None:
    assert first_batch(linger_ms=0, count=4) == [0]
