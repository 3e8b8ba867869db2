"""Publishing events to Kafka: durable (acks=all, idempotent) and bounded in time.

`publish` writes events outside the deciders; nothing in production does any more (the API
and the `aid users` command line write commands, which the deciders decide), but tests and
benchmarks load logs with it. It chains its events like a decider (events/chain.py): from
the link of the partition's last record, read back from the log the first time it writes to
a partition and again after any failed write (whose outcome it cannot know), and otherwise
from the last event it had acknowledged there. Kafka has no conditional append, so it must
not race the partition's decider, and its own publishes are taken one at a time.

`append` and `append_keyed` write unchained messages (tests and benchmarks write raw records
with them; the API and the worker write their commands with an asyncio producer,
services/runtime/command_writer.py): many threads append side by side, each waiting only for
its own acknowledgements. A publish waits for the
appends in flight and holds new ones back until it is done, so no unchained message lands
between a publish's head and its events.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from kafka import KafkaProducer
from kafka.errors import KafkaError

from events import Envelope
from events.chain import link_of_record
from services.app.errors import BrokerUnavailable
from services.domain.positions import Position
from services.runtime.kafka_security import client_options
from services.runtime.ledger import last_record
from services.runtime.partitioning import keyed_partitioner, partition_for
from services.runtime.settings import Settings

__all__ = ["EventPublisher", "KafkaEventPublisher", "Position"]

log = logging.getLogger(__name__)


class EventPublisher(Protocol):
    """Appends events of one aggregate to its stream, in order."""

    def publish(self, stream: str, key: str, envelopes: Sequence[Envelope]) -> Position: ...


# Messages sent and acknowledged before the next ones are sent, in a large write.
PUBLISH_CHUNK = 500
# Bytes of one partition's records in one request. aiokafka keeps one request in flight per
# broker, so with its 16 KB an import's batch (a hundred 1 KB events on a partition) took a
# round trip per dozen events.
PRODUCER_BATCH_BYTES = 512 * 1024


class KafkaEventPublisher:
    """The real publisher: one shared producer, re-created after a broker failure."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._keys = settings.ledger()
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()
        self._chaining = threading.Lock()  # one publish at a time
        self._turns = threading.Condition()  # appends side by side, or one publish
        self._appending = 0
        self._publishing = False
        self._heads: dict[tuple[str, int], str] = {}  # (topic, partition) -> last link sent

    def _connect(self) -> KafkaProducer:
        with self._lock:
            if self._producer is None:
                timeout_ms = int(self._settings.kafka_timeout_seconds * 1000)
                self._producer = KafkaProducer(
                    bootstrap_servers=self._settings.kafka_bootstrap,
                    **client_options(self._settings),
                    client_id="aid-api",
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=2,
                    max_block_ms=timeout_ms,
                    request_timeout_ms=timeout_ms,
                    delivery_timeout_ms=timeout_ms + 1000,
                    bootstrap_timeout_ms=timeout_ms,
                    retries=2**31 - 1,
                )
            return self._producer

    def publish(self, stream: str, key: str, envelopes: Sequence[Envelope]) -> Position:
        """Chain and sign the events after the last record of the key's partition, send them
        in order and return the position of the last, once acknowledged."""
        with self._chaining, self._publish_turn():
            partition, prev = self.head_of(stream, key)
            head = (self._settings.topic(stream), partition)
            values = []
            for envelope in envelopes:
                value, prev = self._keys.encode_chained(envelope, prev)
                values.append((key, value))
            self._heads.pop(head, None)  # unknown until acknowledged
            position = self._send(stream, values, partition)[-1]
            self._heads[head] = prev
            return position

    def head_of(self, stream: str, key: str) -> tuple[int, str]:
        """The partition of the key's events, and the link of its last record."""
        topic = self._settings.topic(stream)
        try:
            partitions = sorted(self._connect().partitions_for(topic))
            partition = partitions[partition_for(key, len(partitions))]
            if (topic, partition) in self._heads:
                return partition, self._heads[(topic, partition)]
            return partition, link_of_record(last_record(self._settings, topic, partition))
        except (KafkaError, OSError) as exc:
            log.warning("kafka unavailable while reading the head of %s: %s", topic, exc)
            self._reset()
            raise BrokerUnavailable(str(exc)) from exc

    def append(self, stream: str, key: str, values: Sequence[bytes]) -> Position:
        """Append raw messages to a stream, in order, and wait for acks=all."""
        last = self.append_keyed(stream, [(key, v) for v in values])[-1]
        return last

    def append_keyed(self, stream: str, messages: Sequence[tuple[str, bytes]]) -> list[Position]:
        """Append (key, value) messages, in order per key, in one flush; wait for acks=all."""
        topic = self._settings.topic(stream)
        with self._turns:
            self._turns.wait_for(lambda: not self._publishing)
            self._appending += 1
            for head in [h for h in self._heads if h[0] == topic]:
                del self._heads[head]  # unchained messages move the heads it remembers
        try:
            return self._send(stream, messages, None)
        finally:
            with self._turns:
                self._appending -= 1
                self._turns.notify_all()

    @contextmanager
    def _publish_turn(self) -> Iterator[None]:
        """Wait for the appends in flight, and hold new ones back until the publish is done."""
        with self._turns:
            self._publishing = True  # new appends wait from now on
            self._turns.wait_for(lambda: self._appending == 0)
        try:
            yield
        finally:
            with self._turns:
                self._publishing = False
                self._turns.notify_all()

    def _send(
        self, stream: str, messages: Sequence[tuple[str, bytes]], partition: int | None
    ) -> list[Position]:
        topic = self._settings.topic(stream)
        metadata = []
        try:
            producer = self._connect()
            # A chunk at a time: the delivery deadline that tells a broker down within seconds
            # applies to each chunk, so a batch of thousands on a busy machine is not refused
            # for taking longer than one write would (sent in order, so order per key holds).
            for start in range(0, len(messages), PUBLISH_CHUNK):
                futures = [
                    producer.send(topic, key=k.encode(), value=v, partition=partition)
                    for k, v in messages[start : start + PUBLISH_CHUNK]
                ]
                producer.flush(timeout=self._settings.kafka_timeout_seconds)
                metadata += [f.get(timeout=self._settings.kafka_timeout_seconds) for f in futures]
        except (KafkaError, OSError) as exc:
            log.warning("kafka unavailable while publishing to %s: %s", topic, exc)
            self._reset()
            raise BrokerUnavailable(str(exc)) from exc
        return [Position(stream, m.partition, m.offset) for m in metadata]

    def _reset(self) -> None:
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=0)
            except Exception:  # a dead producer may fail to close; it is dropped anyway
                log.debug("producer close failed", exc_info=True)

    def close(self) -> None:
        self._reset()


def durable_async_producer(settings: Settings, **options: Any) -> AIOKafkaProducer:
    """The asyncio producer of the worker: every write acknowledged by all in-sync replicas,
    idempotent (a retried send is written once)."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        partitioner=keyed_partitioner,
        **client_options(settings),
        **({"max_batch_size": PRODUCER_BATCH_BYTES} | options),
    )
