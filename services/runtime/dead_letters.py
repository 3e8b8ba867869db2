"""The dead-letter topic: messages no reader can use, with why and where they came from."""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import Protocol

import orjson
from aiokafka import AIOKafkaProducer

from services.runtime.publisher import durable_async_producer
from services.runtime.settings import Settings

log = logging.getLogger(__name__)

# Bytes kept of an oversized message: its base64 must fit in a DLQ message itself.
KEPT_OF_OVERSIZED = 64 * 1024
OVERSIZED = 256 * 1024


class Origin(Protocol):
    """Where a message was read: an aiokafka record or a Faust message."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


def dead_letter_record(record: Origin, reason: str) -> bytes:
    """The DLQ message: the reason, the origin and the original bytes (base64).

    Of a message too big to travel again, the first 64 KiB, its size and its SHA-256."""
    value = record.value or b""
    kept = value if len(value) <= OVERSIZED else value[:KEPT_OF_OVERSIZED]
    return orjson.dumps(
        {
            "reason": reason,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": record.key.decode("utf-8", "replace") if record.key else None,
            "value_base64": base64.b64encode(kept).decode(),
            "value_bytes": len(value),
            "value_sha256": hashlib.sha256(value).hexdigest(),
            "value_truncated": len(kept) < len(value),
        }
    )


async def dead_letter(
    producer: AIOKafkaProducer, settings: Settings, record: Origin, reason: str
) -> None:
    """Park a message in the DLQ durably before its offset is passed over."""
    log.error("parking %s[%d]@%d in dlq: %s", record.topic, record.partition, record.offset, reason)
    await producer.send_and_wait(
        settings.topic("dlq"), dead_letter_record(record, reason), key=record.key
    )


def dlq_producer(settings: Settings) -> AIOKafkaProducer:
    """A durable producer for the DLQ."""
    return durable_async_producer(settings, max_request_size=2_000_000)
