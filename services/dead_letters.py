"""The dead-letter topic: messages no reader can use, with why and where they came from."""

from __future__ import annotations

import base64
import logging

import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord

from services.settings import Settings

log = logging.getLogger(__name__)


def dead_letter_record(record: ConsumerRecord, reason: str) -> bytes:
    """The DLQ message: the reason, the origin and the original bytes (base64)."""
    return orjson.dumps(
        {
            "reason": reason,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": record.key.decode("utf-8", "replace") if record.key else None,
            "value_base64": base64.b64encode(record.value or b"").decode(),
        }
    )


async def dead_letter(
    producer: AIOKafkaProducer, settings: Settings, record: ConsumerRecord, reason: str
) -> None:
    """Park a message in the DLQ durably before its offset is passed over."""
    log.error("parking %s[%d]@%d in dlq: %s", record.topic, record.partition, record.offset, reason)
    await producer.send_and_wait(
        settings.topic("dlq"), dead_letter_record(record, reason), key=record.key
    )


def dlq_producer(settings: Settings) -> AIOKafkaProducer:
    """A durable producer for the DLQ."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        max_request_size=2_000_000,
    )
