"""A local 3-broker cluster (replication 3, min.insync.replicas 2) losing brokers under load.

The load takes the API's own path for writes: receipts as commands appended by its publisher
(acks=all, idempotent, bounded timeouts). An acknowledged write must survive; once too few
replicas remain, writes must be refused quickly rather than acknowledged and lost; when the
brokers come back, writes succeed again, and the worker decides and projects exactly the
commands the log holds.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from sqlalchemy import select

from events import Actor
from projections.database import make_engine, migrate
from projections.tables import inventory_lots
from services.app.errors import BrokerUnavailable
from services.domain.commands import CommandEnvelope
from services.domain.stock.commands import ReceiveStock
from services.runtime import kafka_local
from services.runtime.publisher import KafkaEventPublisher
from services.runtime.settings import Settings
from services.runtime.topics import ensure_topics
from tests.conftest import LONG_FAULTS, TEST_KAFKA_PORT, WORKER_INDEX, WORKER_PORT_STEP
from tests.support.processes import WorkerProcess, eventually

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

# AID_TEST_CLUSTER_PORT moves the cluster of the first xdist worker; the others' stay 1000 apart.
CLUSTER_PORT = (
    int(os.environ["AID_TEST_CLUSTER_PORT"]) + WORKER_PORT_STEP * WORKER_INDEX
    if "AID_TEST_CLUSTER_PORT" in os.environ
    else TEST_KAFKA_PORT + 200
)
LOADER = Actor(user_id="cluster-load", role="operator")
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LOCATIONS = ("wh-casablanca", "wh-marrakech", "site-al-haouz")
ROUNDS = 3 if LONG_FAULTS else 1


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    data_dir = tmp_path_factory.mktemp("cluster")
    bootstrap = kafka_local.start_cluster(data_dir, CLUSTER_PORT)
    try:
        yield data_dir, bootstrap
    finally:
        kafka_local.stop_cluster(data_dir, CLUSTER_PORT)


@dataclass
class Attempt:
    command_id: str
    quantity: int
    started: float
    finished: float
    acknowledged: bool


@dataclass
class Loader:
    """Sends receipts one by one, as the API does, and remembers every answer."""

    publisher: KafkaEventPublisher
    attempts: list[Attempt] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            n += 1
            command = f"cluster-rcpt-{n:06d}"
            location = LOCATIONS[n % len(LOCATIONS)]
            receipt = ReceiveStock(
                receipt_id=command,
                location_id=location,
                item_id="ramadan-basket",
                quantity=1 + n % 9,
                lot="L1",
            )
            envelope = CommandEnvelope.of(receipt, command, LOADER, NOW)
            value = envelope.model_dump_json().encode()
            started = time.monotonic()
            try:
                self.publisher.append_keyed("stock-commands", [(location, value)])
                acknowledged = True
            except BrokerUnavailable:
                acknowledged = False
                time.sleep(0.2)  # as a client honouring Retry-After would
            attempt = Attempt(
                envelope.command_id, receipt.quantity, started, time.monotonic(), acknowledged
            )
            self.attempts.append(attempt)

    def acknowledged(self, since: float = 0.0) -> list[Attempt]:
        return [a for a in list(self.attempts) if a.acknowledged and a.started >= since]

    def refused(self, since: float = 0.0) -> list[Attempt]:
        return [a for a in list(self.attempts) if not a.acknowledged and a.started >= since]


def logged_commands(settings: Settings) -> Counter[str]:
    """Every command id in the stock commands' topic, counted, from the start to the end."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    topic = settings.topic("stock-commands")
    partitions = [TopicPartition(topic, p) for p in range(settings.partitions)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    seen: Counter[str] = Counter()
    while any(consumer.position(tp) < ends[tp] for tp in partitions):
        for records in consumer.poll(timeout_ms=1000).values():
            for record in records:
                seen[orjson.loads(record.value)["command_id"]] += 1
    consumer.close()
    return seen


def fully_replicated(settings: Settings) -> bool:
    with KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap) as admin:
        described = admin.describe_topics([settings.topic("stock-commands")])
    return all(len(p["isr_nodes"]) == 3 for t in described for p in t["partitions"])


def lose_two_brokers_and_recover(
    loader: Loader, data_dir: Path, first: int, second: int, settings: Settings
) -> None:
    started = time.monotonic()
    eventually(
        lambda: len(loader.acknowledged(started)) >= 200,
        timeout=60,
        what="writes acknowledged by the full cluster",
    )
    kafka_local.kill_broker(data_dir, CLUSTER_PORT, first)
    one_down = time.monotonic()
    eventually(
        lambda: len(loader.acknowledged(one_down)) >= 200,
        timeout=60,
        what="writes acknowledged with one broker down",
    )
    kafka_local.kill_broker(data_dir, CLUSTER_PORT, second)
    two_down = time.monotonic()
    eventually(
        lambda: len(loader.refused(two_down)) >= 5,
        timeout=60,
        what="writes refused with two brokers down",
    )
    assert loader.acknowledged(two_down) == [], "a write was acknowledged by one replica"
    slowest = max(a.finished - a.started for a in loader.refused(two_down))
    assert slowest < 3 * settings.kafka_timeout_seconds, f"a refusal took {slowest:.1f}s"

    kafka_local.start_cluster(data_dir, CLUSTER_PORT)
    back = time.monotonic()
    eventually(
        lambda: len(loader.acknowledged(back)) >= 50,
        timeout=90,
        what="writes acknowledged again once the brokers are back",
    )


@pytest.mark.timeout(600)  # with its cluster start and stop: 156 s beside one run, 240+ beside two
def test_brokers_killed_under_load_lose_no_acknowledged_event(
    cluster: tuple[Path, str], tmp_path: Path
) -> None:
    data_dir, bootstrap = cluster
    settings = Settings(
        kafka_bootstrap=bootstrap,
        topic_prefix=f"c{uuid.uuid4().hex[:6]}.",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'readmodels.db'}",
        partitions=3,
        replication_factor=3,
        min_insync_replicas=2,
    )
    ensure_topics(settings)
    publisher = KafkaEventPublisher(settings)
    loader = Loader(publisher)
    thread = threading.Thread(target=loader.run, daemon=True)
    thread.start()
    try:
        for round_ in range(ROUNDS):
            first, second = (1, 2) if round_ % 2 == 0 else (3, 1)
            lose_two_brokers_and_recover(loader, data_dir, first, second, settings)
    finally:
        loader.stopping.set()
        thread.join(timeout=30)
        publisher.close()

    acknowledged = {a.command_id: a.quantity for a in loader.acknowledged()}
    assert len(loader.refused()) > 0
    eventually(lambda: fully_replicated(settings), timeout=60, what="every replica back in sync")

    logged = logged_commands(settings)
    lost = [command_id for command_id in acknowledged if logged[command_id] == 0]
    doubled = [command_id for command_id in acknowledged if logged[command_id] > 1]
    assert lost == [] and doubled == []

    # The worker, running on the cluster, decides and projects exactly what the log holds:
    # acknowledged receipts, plus refused ones that reached the log anyway (their client
    # would retry them with the same command id, and the decider answer from the log).
    quantities = {a.command_id: a.quantity for a in loader.attempts}
    expected = sum(quantities[command_id] for command_id in logged)
    engine = make_engine(settings.db_url)
    migrate(engine)
    worker = WorkerProcess(settings).start()
    try:

        def projected() -> int:
            with engine.connect() as conn:
                return sum(row.on_hand for row in conn.execute(select(inventory_lots)))

        eventually(
            lambda: projected() == expected,
            timeout=120,
            what=f"inventory equal to the log\n{worker.log_tail()}",
        )
        assert expected >= sum(acknowledged.values())
    finally:
        worker.discard()
        engine.dispose()
