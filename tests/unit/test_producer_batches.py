"""The worker's producer sends a partition's events in batches large enough for a batch of
commands: aiokafka keeps one request in flight per broker, so with its default 16 KB batches
an import's registrations (about a hundred events of a kilobyte on one partition) took a
round trip to the broker per dozen events."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition

from services.runtime.publisher import durable_async_producer
from services.runtime.settings import Settings


def test_a_partition_s_hundred_events_of_a_kilobyte_wait_in_one_batch() -> None:
    async def batches() -> int:
        producer = durable_async_producer(Settings(kafka_bootstrap="127.0.0.1:1"), linger_ms=1)
        try:
            tp = TopicPartition("aid.households", 3)
            for _ in range(100):
                await producer._message_accumulator.add_message(tp, b"k", b"x" * 1200, timeout=1)
            return len(producer._message_accumulator._batches[tp])
        finally:
            await producer.stop()

    assert asyncio.run(batches()) == 1


def test_the_worker_s_producer_stays_durable_whatever_options_it_is_given() -> None:
    async def durability() -> tuple[int, bool]:
        producer = durable_async_producer(Settings(kafka_bootstrap="127.0.0.1:1"), linger_ms=5)
        try:  # acks from every in-sync replica (-1), and idempotence (its manager)
            return producer._sender._acks, producer._txn_manager is not None
        finally:
            await producer.stop()

    assert asyncio.run(durability()) == (-1, True)
