"""A policy's own consumer group on the real broker: it starts where the policy left off as an
agent of the deciders' Faust app (their group `<prefix>worker`), then resumes from its own
commits, and never from before them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from services.runtime.dead_letters import Origin
from services.runtime.policies import PolicyStream
from services.runtime.settings import Settings
from services.runtime.topics import ensure_topics
from tests.support.kafka import wait_until_served

pytestmark = pytest.mark.kafka


def publish(settings: Settings, count: int) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for n in range(count):
        producer.send(settings.topic("households"), b"{}", key=f"h{n}".encode(), partition=0)
    producer.flush()
    producer.close()


def commit_as_faust(settings: Settings, offset: int) -> None:
    """What the deciders' Faust app committed for the policy before it had a group of its own."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"{settings.topic_prefix}worker",
        enable_auto_commit=False,
    )
    tp = TopicPartition(settings.topic("households"), 0)
    consumer.commit({tp: OffsetAndMetadata(offset, "", -1)})
    consumer.close()


def offsets_seen(settings: Settings, until: int) -> list[int]:
    """The offsets of partition 0 a policy stream hands out, once it has seen `until`."""
    seen: list[int] = []

    async def scenario() -> None:
        reached = asyncio.Event()

        async def handle(messages: Sequence[Origin]) -> None:
            seen.extend(m.offset for m in messages if m.partition == 0)
            if until in seen:
                reached.set()

        policy = PolicyStream(settings, "households", "households", handle)
        task = asyncio.create_task(policy.run())
        await asyncio.wait_for(reached.wait(), 60)
        await asyncio.sleep(0.5)  # its commit
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    return seen


def test_a_policy_group_starts_where_faust_left_off_then_from_its_own_commits(
    settings: Settings,
) -> None:
    ensure_topics(settings)
    wait_until_served(settings)
    publish(settings, 10)
    commit_as_faust(settings, 7)

    assert offsets_seen(settings, until=9) == [7, 8, 9]

    publish(settings, 3)
    assert offsets_seen(settings, until=12) == [10, 11, 12]
