"""What the system promises when things break: nothing acknowledged is lost or doubled."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from kafka import KafkaConsumer
from sqlalchemy import func, select

from events import Actor
from events.serialization import event_id_for, wrap
from events.stock import StockReceived
from projections.registry import PROJECTIONS
from projections.tables import applied_events, inventory_lots
from services.runtime import kafka_local
from services.runtime.rebuild import rebuild
from services.runtime.settings import Settings
from services.runtime.topics import COMMAND_STREAMS, EVENT_STREAMS
from tests.conftest import LONG_FAULTS, TEST_KAFKA_PORT
from tests.integration.conftest import System
from tests.integration.test_receipts_end_to_end import register_reference
from tests.support.kafka import CheckedProducer, wait_until_served
from tests.support.processes import WorkerProcess, eventually
from tests.support.read_models import inventory_snapshot

pytestmark = pytest.mark.kafka

LOADER = Actor(user_id="load-test", role="operator")
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def receipt_bytes(n: int, location: str, item: str, quantity: int) -> bytes:
    event = StockReceived(
        receipt_id=f"rcpt-{n:06d}",
        location_id=location,
        item_id=item,
        quantity=quantity,
        lot=f"lot-{n % 7}",
    )
    command = f"rcpt-{n:06d}"
    return (
        Settings()
        .ledger()
        .encode(  # signed as a writer of the system signs it
            wrap(
                event,
                event_id=event_id_for(command, 0),
                occurred_at=NOW,
                recorded_at=NOW,
                actor=LOADER,
                correlation_id=command,
                causation_id=command,
            )
        )
    )


def producer(settings: Settings) -> CheckedProducer:
    return CheckedProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        linger_ms=20,
        max_request_size=1_200_000,  # room for the oversized poison (the broker takes 1.1 MB)
    )


def on_hand(system: System) -> Counter[tuple[str, str]]:
    with system.engine.connect() as conn:
        rows = conn.execute(select(inventory_lots)).all()
    totals: Counter[tuple[str, str]] = Counter()
    for row in rows:
        totals[(row.location_id, row.item_id)] += row.on_hand
    return totals


def applied_count(system: System) -> int:
    with system.engine.connect() as conn:
        return (
            conn.scalar(
                select(func.count())
                .select_from(applied_events)
                .where(applied_events.c.projection == "inventory")
            )
            or 0
        )


def send_paced(
    settings: Settings,
    values: list[tuple[bytes, bytes]],
    seconds: float,
    last_after: threading.Event | None = None,
    sent: list[int] | None = None,
) -> None:
    """Send the messages evenly over about `seconds`: a load that lasts while the worker dies.
    With `last_after`, the last tenth waits for it: however fast the worker, some receipts
    are still to come when it is killed. `sent[0]` counts the messages sent so far."""
    kafka = producer(settings)
    topic = settings.topic("stock")
    chunk = max(1, len(values) // max(1, int(seconds * 10)))
    held = len(values) - len(values) // 10 if last_after is not None else len(values)
    for start in range(0, len(values), chunk):
        if start >= held and last_after is not None:
            last_after.wait(timeout=600)
        for key, value in values[start : start + chunk]:
            kafka.send(topic, key=key, value=value)
        if sent is not None:
            kafka.flush(timeout=60)
            sent[0] = start + len(values[start : start + chunk])
        time.sleep(0.1)
    kafka.flush(timeout=60)
    kafka.close()


RECEIPTS = 20_000 if LONG_FAULTS else 8_000


@pytest.mark.one_backend
@pytest.mark.slow
def test_kill_9_of_the_worker_during_thousands_of_receipts_loses_and_doubles_nothing(
    system: System,
) -> None:
    rng = random.Random(11)
    locations = ["wh-casablanca", "wh-marrakech", "site-al-haouz"]
    items = ["ramadan-basket", "flour-25kg"]
    expected: Counter[tuple[str, str]] = Counter()
    values: list[tuple[bytes, bytes]] = []
    for n in range(RECEIPTS):
        loc, item, qty = rng.choice(locations), rng.choice(items), rng.randint(1, 50)
        expected[(loc, item)] += qty
        values.append((loc.encode(), receipt_bytes(n, loc, item, qty)))
        if n % 50 == 0:  # a producer retry after a lost ack: the same event again
            values.append(values[-1])

    def distinct(sent_count: int) -> int:
        """The receipts among the first `sent_count` messages (every 50th is sent twice)."""
        return len({value for _, value in values[:sent_count]})

    # kill -9 at random moments while the load goes on; `AID_LONG_FAULTS=1`: ten in a row
    kills = 10 if LONG_FAULTS else 3
    killed, sent = threading.Event(), [0]
    load = threading.Thread(
        target=send_paced, args=(system.settings, values, 8.0 * kills, killed, sent)
    )
    load.start()
    try:
        for _ in range(kills):
            working_from = applied_count(system)
            eventually(  # applying receipts, or through all those sent so far
                lambda n=working_from: applied_count(system) > n or n >= distinct(sent[0]),
                timeout=120,
                what=f"the worker applying receipts\n{system.worker.log_tail()}",
            )
            time.sleep(rng.uniform(0.1, 2.0))
            system.worker.kill9()
            killed_at = applied_count(system)
            print(f"worker killed at {killed_at} applied")
            assert killed_at < RECEIPTS, "the worker finished before it could be killed"
            system.worker.start()
    finally:
        killed.set()
        load.join()

    eventually(
        lambda: on_hand(system) == expected,
        timeout=180,
        what=f"inventory equal to the receipts\n{system.worker.log_tail()}",
    )
    assert applied_count(system) == RECEIPTS

    # and the read model equals a clean replay of the log
    live = inventory_snapshot(system.engine, system.settings)
    system.worker.stop()
    rebuild(system.settings, system.engine, PROJECTIONS["inventory"])
    assert inventory_snapshot(system.engine, system.settings) == live


OVERSIZED = b'{"padding": "' + b"x" * 1_050_000 + b'"}'


def event_poison() -> dict[bytes, str]:
    """Each kind of bad event message, and the words its DLQ reason must contain."""
    good = orjson.loads(receipt_bytes(2, "wh-marrakech", "flour-25kg", 3))
    return {
        b"not json at all": "not JSON",
        b'{"type": "StockReceived"}': "bad envelope",
        orjson.dumps({**good, "version": 99}): "newer than this reader",
        orjson.dumps({**good, "type": "StockEaten"}): "unknown event type",
        OVERSIZED: "exceeds",
    }


def command_poison() -> dict[bytes, str]:
    """Each kind of bad command message, and the words its DLQ reason must contain."""
    unknown = {
        "command_id": "EatStock:poison-1",
        "type": "EatStock",
        "actor": {"user_id": "mallory", "role": "operator"},
        "issued_at": "2026-03-01T09:00:00Z",
        "correlation_id": "poison-1",
        "data": {},
    }
    return {
        b"not json at all": "not JSON",
        b'{"type": "ReceiveStock"}': "bad envelope",
        orjson.dumps(unknown): "EatStock cannot be read",
        OVERSIZED: "exceeds",
    }


def parked(settings: Settings) -> list[dict[str, object]]:
    consumer = KafkaConsumer(
        settings.topic("dlq"),
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    found = [orjson.loads(m.value) for m in consumer]
    consumer.close()
    return found


@pytest.mark.one_backend("sqlite")
def test_poison_of_every_kind_on_every_topic_is_parked_and_processing_goes_on(
    system: System,
) -> None:
    settings = system.settings
    expected: set[tuple[str, str]] = set()
    kafka = producer(settings)
    for streams, poison in ((EVENT_STREAMS, event_poison()), (COMMAND_STREAMS, command_poison())):
        for stream in streams:
            for value, reason in poison.items():
                kafka.send(settings.topic(stream), key=b"poison", value=value)
                expected.add((settings.topic(stream), reason))
    good = receipt_bytes(1, "wh-marrakech", "flour-25kg", 25)
    kafka.send(settings.topic("stock"), key=b"wh-marrakech", value=good)
    kafka.flush(timeout=60)
    kafka.close()

    eventually(
        lambda: on_hand(system)[("wh-marrakech", "flour-25kg")] == 25,
        timeout=90,
        what=f"the good receipt projected\n{system.worker.log_tail()}",
    )
    admin = system.user("poison-admin", "admin")
    register_reference(system, admin)  # commands are still decided on every command topic

    def missing() -> set[tuple[str, str]]:
        found = {(str(p["topic"]), str(p["reason"])) for p in parked(settings)}
        return {
            (topic, words)
            for topic, words in expected
            if not any(t == topic and words in reason for t, reason in found)
        }

    eventually(lambda: not missing(), timeout=90, what=f"every poison parked: {missing()}")
    oversized = [p for p in parked(settings) if p["value_bytes"] == len(OVERSIZED)]
    assert oversized and all(p["value_truncated"] for p in oversized)
    assert all(p["offset"] >= 0 and p["value_sha256"] for p in parked(settings))


@pytest.mark.one_backend("sqlite")
def test_rebuild_gives_the_same_inventory_as_the_live_projection(system: System) -> None:
    from projections.registry import PROJECTIONS
    from services.runtime.rebuild import rebuild

    admin = system.user("rebuild-admin", "admin")
    register_reference(system, admin)
    last = None
    for n in range(200):
        r = system.client.post(
            "/v1/stock/receipts",
            headers=admin,
            json={
                "id": f"rb-{n}",
                "location_id": "wh-casablanca",
                "item_id": "ramadan-basket",
                "quantity": n + 1,
                "lot": f"RB-{n % 5}",
            },
        )
        assert r.status_code == 201, r.text
        last = r.json()["position"]
    live = system.client.get("/v1/inventory", headers=admin, params={"after": last}).json()
    system.worker.stop()
    for projection in PROJECTIONS.values():
        rebuild(system.settings, system.engine, projection)
    rebuilt = system.client.get("/v1/inventory", headers=admin).json()
    assert rebuilt == live
    assert sum(row["on_hand"] for row in rebuilt["items"]) == sum(range(1, 201))


@pytest.fixture
def own_broker(tmp_path: Path) -> str:
    port = TEST_KAFKA_PORT + 100
    kafka_local.start(tmp_path / "broker", port=port, wait_seconds=90)
    yield f"127.0.0.1:{port}"
    kafka_local.stop(tmp_path / "broker")


@pytest.mark.one_backend
@pytest.mark.slow
def test_with_kafka_stopped_a_receipt_answers_503_then_succeeds_once(
    database_url: str,  # first: a backend this run skips is skipped before a broker starts
    own_broker: str,
    tmp_path: Path,
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from projections.database import make_engine, migrate
    from services.runtime.publisher import KafkaEventPublisher
    from services.runtime.topics import ensure_topics
    from services.runtime.users import create_user, wait_projected

    settings = Settings(
        kafka_bootstrap=own_broker,
        topic_prefix=f"t{uuid.uuid4().hex[:6]}.",
        data_dir=tmp_path,
        database_url=database_url,
        partitions=3,
        read_wait_seconds=15,
    )
    ensure_topics(settings)
    wait_until_served(settings)  # a broker just started
    engine = make_engine(settings.db_url)
    migrate(engine)
    worker = WorkerProcess(settings).start()
    publisher = KafkaEventPublisher(settings)
    try:
        token, position = create_user(settings, publisher, "hafsa-admin", "admin")
        assert wait_projected(engine, settings, position, timeout=60), worker.log_tail()
        with TestClient(create_app(settings, publisher)) as client:
            admin = {"Authorization": f"Bearer {token}"}
            system = System(settings, engine, publisher, worker, client)
            register_reference(system, admin)
            body = {
                "id": "rcpt-outage",
                "location_id": "wh-casablanca",
                "item_id": "ramadan-basket",
                "quantity": 77,
            }
            kafka_local.stop(tmp_path / "broker")
            started = time.monotonic()
            r = client.post("/v1/stock/receipts", headers=admin, json=body)
            assert r.status_code == 503, r.text
            assert time.monotonic() - started < 5
            assert r.headers["Retry-After"] and r.json()["error"] == "unavailable"

            kafka_local.start(tmp_path / "broker", port=TEST_KAFKA_PORT + 100, wait_seconds=90)
            eventually(
                lambda: (
                    client.post("/v1/stock/receipts", headers=admin, json=body).status_code
                    in (200, 201)
                ),
                timeout=60,
                what="the retry to succeed",
            )
            again = client.post("/v1/stock/receipts", headers=admin, json=body)
            assert again.status_code in (200, 201)
            eventually(
                lambda: (
                    [
                        row["on_hand"]
                        for row in client.get(
                            "/v1/inventory", headers=admin, params={"location_id": "wh-casablanca"}
                        ).json()["items"]
                    ]
                    == [77]
                ),
                timeout=60,
                what="exactly one receipt of 77",
            )
    finally:
        worker.discard()
        publisher.close()
