"""Kafka helpers for tests: a producer whose every send is checked, and a wait until the
broker serves a test's topics."""

from __future__ import annotations

from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.producer.future import FutureRecordMetadata

from services.runtime.kafka_security import client_options
from services.runtime.settings import Settings


class CheckedProducer(KafkaProducer):
    """A KafkaProducer (acks=all, idempotent unless told otherwise) whose flush fails when a
    record sent before it was not written: a load the broker refused under pressure then
    fails where it was sent, not later as a read model that seems to have lost events."""

    def __init__(self, **configs: Any) -> None:
        super().__init__(**{"acks": "all", "enable_idempotence": True, **configs})
        self.failures: list[BaseException] = []

    def send(self, *args: Any, **kwargs: Any) -> FutureRecordMetadata:
        future: FutureRecordMetadata = super().send(*args, **kwargs)
        future.add_errback(self.failures.append)
        return future

    def flush(self, timeout: float | None = None) -> None:
        super().flush(timeout)
        assert not self.failures, (
            f"{len(self.failures)} record(s) not written: {self.failures[0]!r}"
        )


def wait_until_served(settings: Settings, timeout: float = 60) -> None:
    """Until the broker answers for every partition of the test's topics.

    `ensure_topics` returns once the controller names a leader for each partition; the broker
    may take a moment more to act as that leader, and until it does it refuses reads with
    NotLeaderForPartition. The API's reply watcher gives up on Kafka after 3 s of that, which
    a busy machine can reach on the first test after the broker started. Asking for every
    partition's end offset (the consumer retries until the broker serves them all) waits out
    that moment once, here, instead of in a test."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, **client_options(settings))
    try:
        topics = [t for t in consumer.topics() if t.startswith(settings.topic_prefix)]
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic) or ()
        ]
        consumer.end_offsets(partitions, timeout_ms=int(timeout * 1000))
    finally:
        consumer.close()
