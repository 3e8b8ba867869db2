"""Lifecycle of a throwaway local KRaft broker managed by services.runtime.kafka_local."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient

from services.runtime import kafka_local
from tests.conftest import TEST_KAFKA_PORT

PORT, CONTROLLER_PORT = TEST_KAFKA_PORT + 10, TEST_KAFKA_PORT + 11
BOOTSTRAP = f"127.0.0.1:{PORT}"


@pytest.mark.kafka
def test_local_broker_start_produce_consume_stop(tmp_path: Path) -> None:
    try:
        message = kafka_local.start(
            tmp_path, port=PORT, controller_port=CONTROLLER_PORT, wait_seconds=45
        )
        assert "started" in message
        running, text = kafka_local.status(tmp_path, port=PORT)
        assert running and "answering" in text and "NOT" not in text, text

        with KafkaAdminClient(bootstrap_servers=BOOTSTRAP) as admin:
            admin.create_topics(
                {"lifecycle-check": {"num_partitions": 3, "replication_factor": 1}},
                wait_for_metadata=True,
            )
            assert "lifecycle-check" in admin.list_topics()

        producer = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True)
        sent = [f"event-{i}".encode() for i in range(10)]
        for value in sent:
            producer.send("lifecycle-check", key=b"depot-1", value=value)
        producer.flush(timeout=10)
        producer.close()

        consumer = KafkaConsumer(
            "lifecycle-check",
            bootstrap_servers=BOOTSTRAP,
            group_id="lifecycle-check",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        received: list[bytes] = []
        deadline = time.monotonic() + 20
        while len(received) < len(sent) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                received.extend(record.value for record in records)
        consumer.close()
        assert received == sent

        assert "already running" in kafka_local.start(
            tmp_path, port=PORT, controller_port=CONTROLLER_PORT
        )
    finally:
        first_stop = kafka_local.stop(tmp_path)
    assert "stopped" in first_stop or "killed" in first_stop
    assert kafka_local.stop(tmp_path) == "Kafka not running"
    running, text = kafka_local.status(tmp_path, port=PORT)
    assert not running and "not running" in text, text
    assert not (tmp_path / "kafka" / "broker.pid").exists()
