"""A policy's batch is committed only once its reactions are done.

A graceful stop cancels the policy while its reactions await their decisions; the offsets of
that batch must not be committed, or the policy would start again after events never reacted
to. A rebalance hands the partitions over only once the batch in hand is done and committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError

from services.runtime import policies
from services.runtime.dead_letters import Origin
from services.runtime.restarts import BatchStopped, keep_running
from services.runtime.settings import Settings

TOPIC = "t.households"


@pytest.fixture(autouse=True)
def never_run_by_faust(monkeypatch: pytest.MonkeyPatch) -> None:
    """No commit of the deciders' Faust app to start from (no broker is asked)."""
    monkeypatch.setattr(policies, "faust_offsets", lambda settings, partitions: {})


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    topic: str = TOPIC
    key: bytes | None = None
    value: bytes | None = b"{}"


@dataclass
class Consumer:
    """The part of an AIOKafkaConsumer a policy stream uses; `fetches` are what each
    `getmany` returns, then nothing (it waits as a quiet topic would)."""

    fetches: list[list[Record]]
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)
    listener: Any = None
    stopped: bool = False
    refuse_commits: bool = False
    own: dict[TopicPartition, int] = field(default_factory=dict)  # its group's commits before
    sought: dict[TopicPartition, int] = field(default_factory=dict)

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.listener = listener

    async def start(self) -> None:  # its partitions assigned at once
        await self.listener.on_partitions_assigned([TopicPartition(TOPIC, p) for p in range(3)])

    async def stop(self) -> None:
        self.stopped = True

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[Any, list[Record]]:
        if not self.fetches:
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        records = self.fetches.pop(0)[:max_records]
        by_partition: dict[int, list[Record]] = {}
        for r in records:
            by_partition.setdefault(r.partition, []).append(r)
        return {TopicPartition(TOPIC, p): rs for p, rs in by_partition.items()}

    async def committed(self, tp: TopicPartition) -> int | None:
        return self.own.get(tp)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.sought[tp] = offset

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.refuse_commits:
            raise CommitFailedError("rebalanced")
        self.commits.append(dict(offsets))


def stream(consumer: Consumer, handle: policies.Handler) -> policies.PolicyStream:
    settings = Settings(topic_prefix="t.")
    return policies.PolicyStream(settings, "households", "households", handle, consumer)  # type: ignore[arg-type]


async def run_until(policy: policies.PolicyStream, done: asyncio.Event) -> None:
    task = asyncio.create_task(policy.run())
    await asyncio.wait_for(done.wait(), 5)
    await asyncio.sleep(0.05)  # a commit that would follow
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_each_batch_is_committed_after_its_reactions_past_its_last_record_per_partition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = Consumer([[Record(0, 5), Record(1, 9), Record(0, 6)], [Record(1, 10)]])
    seen: list[tuple[list[tuple[int, int]], int]] = []
    done = asyncio.Event()

    async def handle(messages: Sequence[Origin]) -> None:
        seen.append(([(m.partition, m.offset) for m in messages], len(consumer.commits)))
        if len(seen) == 2:
            done.set()

    policy = stream(consumer, handle)
    monkeypatch.setattr(policies, "POLICY_WITHIN", 0.0)  # one fetch, one batch
    asyncio.run(run_until(policy, done))
    assert seen == [([(0, 5), (0, 6), (1, 9)], 0), ([(1, 10)], 1)]
    assert consumer.commits == [
        {TopicPartition(TOPIC, 0): 7, TopicPartition(TOPIC, 1): 10},
        {TopicPartition(TOPIC, 1): 11},
    ]
    assert consumer.stopped


def test_records_arriving_within_the_window_join_the_batch() -> None:
    consumer = Consumer([[Record(0, 1)], [Record(0, 2)], [Record(1, 1)]])
    seen: list[int] = []
    done = asyncio.Event()

    async def handle(messages: Sequence[Origin]) -> None:
        seen.append(len(messages))
        done.set()

    asyncio.run(run_until(stream(consumer, handle), done))
    assert seen == [3]


def test_a_stop_in_the_middle_of_a_batch_commits_none_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = Consumer([[Record(0, 1)], [], [Record(0, 2), Record(0, 3)]])
    reacting = asyncio.Event()

    async def handle(messages: Sequence[Origin]) -> None:
        if any(m.offset == 2 for m in messages):
            reacting.set()
            await asyncio.sleep(60)  # awaiting a decision when the worker is stopped

    monkeypatch.setattr(policies, "POLICY_WITHIN", 0.0)
    asyncio.run(run_until(stream(consumer, handle), reacting))
    assert consumer.commits == [{TopicPartition(TOPIC, 0): 2}]


def test_a_rebalance_waits_for_the_batch_in_hand_and_its_commit() -> None:
    consumer = Consumer([[Record(0, 1)]])
    reacting, release = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def handle(messages: Sequence[Origin]) -> None:
        reacting.set()
        await release.wait()
        order.append("reacted")

    async def scenario() -> None:
        task = asyncio.create_task(stream(consumer, handle).run())
        await asyncio.wait_for(reacting.wait(), 5)
        revoking = asyncio.create_task(
            consumer.listener.on_partitions_revoked([TopicPartition(TOPIC, 0)])
        )
        await asyncio.sleep(0.05)
        assert not revoking.done()  # the batch is still in hand
        release.set()
        await asyncio.wait_for(revoking, 5)
        order.append(f"handed over after {len(consumer.commits)} commit")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert order == ["reacted", "handed over after 1 commit"]


def test_a_commit_refused_after_a_rebalance_leaves_the_events_to_their_next_owner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = Consumer([[Record(0, 1)], [Record(0, 2)]], refuse_commits=True)
    seen: list[int] = []
    done = asyncio.Event()

    async def handle(messages: Sequence[Origin]) -> None:
        seen.extend(m.offset for m in messages)
        if len(seen) == 2:
            done.set()

    monkeypatch.setattr(policies, "POLICY_WITHIN", 0.0)
    asyncio.run(run_until(stream(consumer, handle), done))
    assert seen == [1, 2]  # it went on
    assert consumer.commits == []


def test_each_partition_resumes_at_its_commit_else_where_faust_left_it_else_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second, third = (TopicPartition(TOPIC, p) for p in range(3))
    consumer = Consumer([], own={second: 12})
    asked: list[list[TopicPartition]] = []

    def faust_offsets(settings: Settings, partitions: list[TopicPartition]) -> dict[Any, int]:
        asked.append(partitions)
        return {first: 40}  # the third: never committed there either

    monkeypatch.setattr(policies, "faust_offsets", faust_offsets)
    policy = stream(consumer, lambda messages: asyncio.sleep(0))
    asyncio.run(policy.position([first, second, third]))

    assert asked == [[first, third]]
    assert consumer.sought == {first: 40, second: 12, third: 0}


def test_nothing_is_taken_from_a_partition_before_it_is_positioned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = Consumer([[Record(0, 0), Record(1, 3)], [Record(0, 7)]])
    seen: list[tuple[int, int]] = []
    done = asyncio.Event()

    async def handle(messages: Sequence[Origin]) -> None:
        seen.extend((m.partition, m.offset) for m in messages)
        done.set()

    policy = stream(consumer, handle)
    monkeypatch.setattr(policies, "POLICY_WITHIN", 0.0)

    async def start() -> None:  # partition 0 assigned; its position still being asked
        await consumer.listener.on_partitions_assigned([TopicPartition(TOPIC, 1)])
        policy.unposition([TopicPartition(TOPIC, 0)])

    monkeypatch.setattr(consumer, "start", start)
    asyncio.run(run_until(policy, done))
    assert seen == [(1, 3)]  # partition 0's records come again once it is sought


def test_a_batch_a_reaction_fails_on_stops_the_policy_there_and_commits_none_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given a reaction that fails on the second batch (a bug) with words that quote an event,
    then the policy stops there, naming where and the kind of failure only, with the first
    batch committed and none of the second."""
    consumer = Consumer([[Record(0, 1)], [Record(0, 2), Record(0, 3)]])

    async def handle(messages: Sequence[Origin]) -> None:
        if any(m.offset == 3 for m in messages):
            raise RuntimeError("no site for household of CIN AB123456")

    monkeypatch.setattr(policies, "POLICY_WITHIN", 0.0)
    with pytest.raises(BatchStopped) as stopped:
        asyncio.run(asyncio.wait_for(stream(consumer, handle).run(), 5))

    assert str(stopped.value) == "policy households stopped at t.households[0]@2-3: RuntimeError"
    assert consumer.commits == [{TopicPartition(TOPIC, 0): 2}]
    assert consumer.stopped


def test_a_stopped_policy_starts_again_from_its_commit_and_reacts_once_the_cause_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given a reaction that fails on a batch three times, then works, when the policy is kept
    running, then each new start reacts to that batch again (no event skipped) and the
    last commits it."""
    consumers: list[Consumer] = []
    attempts: list[int] = []
    done = asyncio.Event()

    def start() -> policies.PolicyStream:
        consumers.append(Consumer([[Record(0, 2), Record(0, 3)]]))
        return stream(consumers[-1], handle)

    async def handle(messages: Sequence[Origin]) -> None:
        attempts.append(len(messages))
        if len(attempts) <= 3:
            raise RuntimeError("a bug")
        done.set()

    async def scenario() -> None:
        task = asyncio.create_task(keep_running(start, first=0.01, most=0.05))
        await asyncio.wait_for(done.wait(), 5)
        await asyncio.sleep(0.05)  # its commit
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    monkeypatch.setattr(policies, "POLICY_WITHIN", 0.0)
    asyncio.run(scenario())
    assert attempts == [2, 2, 2, 2]
    assert [c.commits for c in consumers] == [[], [], [], [{TopicPartition(TOPIC, 0): 4}]]
    assert all(c.stopped for c in consumers)
