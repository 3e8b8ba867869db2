"""Writing commands to their streams with an asyncio producer.

Every write is acknowledged by all in-sync replicas and idempotent, as the event publisher's.
There is no thread hop and no flush per request: the requests of the moment are batched by
the producer beside each other, and each awaits its own acknowledgements. A write that cannot
be made within the Kafka timeout is BrokerUnavailable (the request is answered 503, never left
hanging), and the producer is started again for the next one.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.app.errors import BrokerUnavailable
from services.runtime.publisher import PUBLISH_CHUNK, durable_async_producer
from services.runtime.settings import Settings

log = logging.getLogger(__name__)


class CommandWriter:
    """Commands out to Kafka, in order per key (the aggregate's id, so its writer's partition)."""

    def __init__(
        self, settings: Settings, client_id: str = "aid-commands", linger_ms: int = 2
    ) -> None:
        self.settings = settings
        self.client_id = client_id
        self.linger_ms = linger_ms  # what arrives meanwhile goes in the same request
        self._producer: AIOKafkaProducer | None = None
        self._starting: asyncio.Lock | None = None
        self._closing: set[asyncio.Task[None]] = set()

    async def append(self, stream: str, messages: Sequence[tuple[str, bytes]]) -> None:
        """Write the (key, value) messages and wait until all are acknowledged."""
        topic = self.settings.topic(stream)
        chunks = max(1, math.ceil(len(messages) / PUBLISH_CHUNK))
        try:
            async with asyncio.timeout(self.settings.kafka_timeout_seconds * chunks):
                producer = await self._started()
                sent = [
                    await producer.send(topic, value, key=key.encode()) for key, value in messages
                ]
                await asyncio.gather(*sent)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("kafka unavailable while writing commands to %s: %s", topic, exc)
            self._drop()
            raise BrokerUnavailable(f"cannot write to {stream}: Kafka unreachable") from exc

    async def _started(self) -> AIOKafkaProducer:
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if self._producer is None:
                timeout_ms = int(self.settings.kafka_timeout_seconds * 1000)
                producer = durable_async_producer(
                    self.settings,
                    client_id=self.client_id,
                    request_timeout_ms=timeout_ms,
                    linger_ms=self.linger_ms,
                )
                try:
                    await producer.start()
                except BaseException:
                    self._close_later(producer)
                    raise
                self._producer = producer
            return self._producer

    def _drop(self) -> None:
        """Start afresh next time: this producer may hold what it could not write."""
        producer, self._producer = self._producer, None
        if producer is not None:
            self._close_later(producer)

    def _close_later(self, producer: AIOKafkaProducer) -> None:
        closing = asyncio.create_task(_close(producer))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await _close(producer)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


async def _close(producer: AIOKafkaProducer) -> None:
    """Stop a producer; one whose broker is gone gets a second, then is let go."""
    try:
        await asyncio.wait_for(producer.stop(), 1.0)
    except Exception as exc:  # a dead producer may fail to stop; it is dropped anyway
        log.debug("command producer did not stop cleanly: %s", exc)
