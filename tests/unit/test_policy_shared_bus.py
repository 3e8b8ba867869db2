"""The policies of a worker share one command bus: one producer and one reply consumer,
started by the first policy to run and stopped when the last one stops."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.runtime import policies
from services.runtime.settings import Settings


class CountedBus:
    made: list[CountedBus] = []

    def __init__(self, settings: Settings, writer: Any) -> None:
        self.started = self.stopped = 0
        CountedBus.made.append(self)

    async def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        self.stopped += 1


def test_policies_running_together_hold_one_bus_stopped_after_the_last(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(policies, "KafkaCommandBus", CountedBus)
    CountedBus.made = []
    shared = policies.SharedBus(Settings(topic_prefix="t."))

    async def run() -> None:
        async with shared.held() as first, shared.held() as second:
            assert first is second
            assert (first.started, first.stopped) == (1, 0)
        assert (first.started, first.stopped) == (1, 1)
        async with shared.held() as again:  # a policy started again after a rebalance
            assert again is not first and again.started == 1

    asyncio.run(run())
    assert len(CountedBus.made) == 2
    assert [bus.stopped for bus in CountedBus.made] == [1, 1]
