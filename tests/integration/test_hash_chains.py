"""The ledger verifies on the real broker, and a copy of it with one event changed does not.

With a running worker: a user is created (by the command line's writer), the reference data
registered and two receipts recorded through the API (by the deciders); `aid ledger verify`
then passes on every partition, `aid ledger checkpoint` signs the heads and the log still
extends that checkpoint. The log copied to a second broker, partition by partition at the
same offsets, with one receipt's quantity changed, fails `aid ledger verify` there at that
receipt's offset and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition
from typer.testing import CliRunner

from services.runtime import cli, kafka_local
from services.runtime.settings import Settings
from services.runtime.topics import EVENT_STREAMS, ensure_topics
from tests.conftest import TEST_KAFKA_PORT
from tests.integration.conftest import System
from tests.integration.test_faults import on_hand
from tests.integration.test_receipts_end_to_end import register_reference
from tests.integration.test_signed_events import STOCK, receive
from tests.support.kafka import CheckedProducer
from tests.support.processes import eventually

pytestmark = pytest.mark.kafka


def aid(monkeypatch: pytest.MonkeyPatch, settings: Settings, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    done = CliRunner().invoke(cli.app, list(args))
    return done.exit_code, done.stdout


def records(settings: Settings, topic: str) -> dict[int, list[tuple[bytes | None, bytes]]]:
    """Every record of a topic, (key, value) per partition in offset order."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        found: dict[int, list[tuple[bytes | None, bytes]]] = {tp.partition: [] for tp in tps}
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            for tp, batch in consumer.poll(timeout_ms=1000).items():
                found[tp.partition] += [(r.key, r.value) for r in batch if r.offset < ends[tp]]
        return found
    finally:
        consumer.close()


@pytest.fixture
def second_broker(tmp_path: Path) -> Iterator[str]:
    """Another broker of its own, where a copy of the log goes."""
    port = TEST_KAFKA_PORT + 400
    kafka_local.start(tmp_path / "second-broker", port=port, wait_seconds=90)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        kafka_local.stop(tmp_path / "second-broker")


@pytest.mark.one_backend("sqlite")
def test_the_log_verifies_and_a_copy_with_one_event_changed_fails_at_that_event(
    system: System, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, second_broker: str
) -> None:
    settings = system.settings
    admin = system.user("amina-admin", "admin")
    register_reference(system, admin)
    receive(system, admin, "rcpt-chain-1", 10)
    receive(system, admin, "rcpt-chain-2", 5)
    eventually(lambda: on_hand(system)[STOCK] == 15, timeout=60, what="the two receipts")

    code, printed = aid(monkeypatch, settings, "ledger", "verify")
    assert code == 0, printed
    lines = [line for line in printed.splitlines() if line.startswith(settings.topic_prefix)]
    assert len(lines) == len(EVENT_STREAMS) * settings.partitions
    assert all(" OK " in line for line in lines), printed
    counted = sum(int(line.split(" OK ")[1].split()[0]) for line in lines)
    assert counted >= 2 + 1  # the receipts and the user at least

    code, printed = aid(monkeypatch, settings, "ledger", "checkpoint")
    assert code == 0, printed
    saved = tmp_path / "checkpoint.json"
    saved.write_text(next(line for line in printed.splitlines() if line.startswith("{")))
    code, printed = aid(monkeypatch, settings, "ledger", "verify", "--from-checkpoint", str(saved))
    assert code == 0, printed
    assert system.client.get("/v1/ledger/checkpoints", headers=admin).json()["items"]

    # the log copied, record by record, to the same topics and partitions on another broker
    copy = settings.model_copy(update={"kafka_bootstrap": second_broker})
    ensure_topics(copy)
    kafka = CheckedProducer(bootstrap_servers=copy.kafka_bootstrap)
    changed: tuple[str, int, int] | None = None
    for stream in EVENT_STREAMS:
        for partition, log in records(settings, settings.topic(stream)).items():
            for offset, (key, value) in enumerate(log):
                payload = orjson.loads(value)
                if payload["type"] == "StockReceived" and payload["data"]["quantity"] == 5:
                    payload["data"]["quantity"] = 999
                    value = orjson.dumps(payload)
                    changed = (copy.topic(stream), partition, offset)
                kafka.send(copy.topic(stream), key=key, value=value, partition=partition)
    kafka.flush(timeout=30)
    kafka.close()
    assert changed is not None

    code, printed = aid(monkeypatch, copy, "ledger", "verify")
    topic, partition, offset = changed
    failed = [line for line in printed.splitlines() if "FAILED" in line]
    assert code == 1, printed
    assert failed == [
        f"{topic}[{partition}] FAILED at offset {offset}: signature does not match the event"
        f" (key {settings.ledger().signing_key_id})"
    ], printed
