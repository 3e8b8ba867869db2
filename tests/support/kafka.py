"""A producer for tests that load Kafka directly: every send is checked."""

from __future__ import annotations

from typing import Any

from kafka import KafkaProducer
from kafka.producer.future import FutureRecordMetadata


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
