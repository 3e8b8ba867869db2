"""The policies of a worker: one stream each, in groups of their own, sharing one command bus
(one producer and one reply consumer) that stops when they stop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.app.policies import REACTIONS
from services.runtime import policies
from services.runtime.settings import Settings


class Counted:
    made: list[Counted] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.started = self.stopped = 0
        Counted.made.append(self)

    async def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        self.stopped += 1


def run_policies_for_a_while(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> list[str]:
    """The groups of the policy streams `run_policies` ran, once it is cancelled."""
    Counted.made = []
    groups: list[str] = []

    async def run(self: policies.PolicyStream) -> None:
        groups.append(self.consumer._group_id)
        await asyncio.sleep(60)

    monkeypatch.setattr(policies, "KafkaCommandBus", Counted)
    monkeypatch.setattr(policies, "durable_async_producer", Counted)
    monkeypatch.setattr(policies.PolicyStream, "run", run)

    async def scenario() -> None:
        task = asyncio.create_task(policies.run_policies(settings))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    return groups


def test_every_policy_reads_its_stream_in_its_own_group_and_they_share_one_bus(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    groups = run_policies_for_a_while(monkeypatch, Settings(topic_prefix="t."))

    assert sorted(groups) == sorted(
        ["t.policy-consume-site-stock"] + [f"t.policy-{stream}" for stream in REACTIONS]
    )
    producer, bus = Counted.made  # the distributions' producer, the others' command bus
    assert [(c.started, c.stopped) for c in (producer, bus)] == [(1, 1), (1, 1)]


def test_with_the_policies_off_only_the_distributions_stock_commands_are_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    groups = run_policies_for_a_while(monkeypatch, Settings(topic_prefix="t.", policies=False))

    assert groups == ["t.policy-consume-site-stock"]
