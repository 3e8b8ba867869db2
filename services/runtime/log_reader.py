"""Reading a range of one partition of the log by offset (the records a proof gives)."""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from services.app.errors import BrokerUnavailable
from services.runtime.kafka_security import client_options
from services.runtime.settings import Settings

TIMEOUT_SECONDS = 30


def read_range(
    settings: Settings, topic: str, partition: int, first: int, last: int
) -> list[tuple[int, bytes | None]]:
    """The (offset, value) records of `topic[partition]` from `first` to `last` included, in
    order; BrokerUnavailable when Kafka does not answer in time."""
    try:
        consumer = KafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            request_timeout_ms=10000,
            enable_auto_commit=False,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            **client_options(settings),
        )
    except KafkaError as exc:
        raise BrokerUnavailable("cannot read the log: Kafka unreachable") from exc
    found: list[tuple[int, bytes | None]] = []
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        end = min(consumer.end_offsets([tp])[tp], last + 1)
        consumer.seek(tp, first)
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while consumer.position(tp) < end:
            if time.monotonic() > deadline:
                raise BrokerUnavailable(f"{topic}[{partition}] not read to {last} in time")
            for record in consumer.poll(timeout_ms=1000).get(tp, []):
                if first <= record.offset <= last:
                    found.append((record.offset, record.value))
    except KafkaError as exc:
        raise BrokerUnavailable("cannot read the log: Kafka unreachable") from exc
    finally:
        consumer.close()
    return found
