"""Rebuilding a projection: replay its streams from offset 0 with the live code.

The replay runs in one transaction under the projection's lock: readers keep
seeing the old rows until the rebuilt ones are committed, and the live worker
waits, then carries on from the rebuilt positions.
"""

from __future__ import annotations

from collections.abc import Callable

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine

from events import UndecodableMessage, decode
from projections.projection import Projection
from projections.writer import Message, apply_messages, lock, reset
from services.settings import Settings

Progress = Callable[[int, int], None]


def _consumer(settings: Settings, projection: Projection) -> tuple[KafkaConsumer, dict]:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_poll_records=settings.worker_batch_size * 4,
    )
    partitions = [
        TopicPartition(settings.topic(s), p)
        for s in projection.streams
        for p in consumer.partitions_for_topic(settings.topic(s)) or ()
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    return consumer, consumer.end_offsets(partitions)


def _message(record: object) -> Message:
    topic, partition, offset = record.topic, record.partition, record.offset  # type: ignore[attr-defined]
    try:
        envelope, event = decode(record.value)  # type: ignore[attr-defined]
    except UndecodableMessage:
        return Message(topic, partition, offset)
    return Message(topic, partition, offset, envelope, event)


def rebuild(
    settings: Settings, engine: Engine, projection: Projection, progress: Progress | None = None
) -> int:
    """Replay everything up to the current end of the log; returns the events applied."""
    consumer, ends = _consumer(settings, projection)
    total = sum(ends.values())
    applied = read = 0
    try:
        with engine.begin() as conn:
            lock(conn, projection.name)
            reset(conn, projection)
            remaining = {tp for tp, end in ends.items() if end > 0}
            while remaining:
                polled = consumer.poll(timeout_ms=1000)
                batch = [
                    _message(r)
                    for tp, records in polled.items()
                    if tp in remaining
                    for r in records
                    if r.offset < ends[tp]
                ]
                applied += apply_messages(conn, projection, batch)
                read += len(batch)
                remaining = {tp for tp in remaining if consumer.position(tp) < ends[tp]}
                if progress:
                    progress(read, total)
    finally:
        consumer.close()
    return applied
