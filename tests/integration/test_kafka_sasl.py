"""The local broker with SASL: strangers and wrong passwords are refused, each component may do
what its ACLs say and no more, and the system works signed in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError, TopicAuthorizationFailedError
from pydantic import SecretStr

from api.app import create_app
from projections.database import make_engine, migrate
from services.app.errors import BrokerUnavailable
from services.runtime import kafka_local, kafka_sasl
from services.runtime.kafka_access import ADMIN_USER, API_USER, WORKER_USER, grant
from services.runtime.kafka_security import client_options
from services.runtime.publisher import KafkaEventPublisher
from services.runtime.settings import Settings
from services.runtime.topics import ensure_topics
from services.runtime.users import create_user, wait_projected
from tests.conftest import TEST_KAFKA_PORT
from tests.support.processes import WorkerProcess, eventually

# One worker runs them all, so the SASL broker of the module starts once (`--dist loadgroup`).
pytestmark = [pytest.mark.kafka, pytest.mark.xdist_group("sasl-broker")]

PORT, CONTROLLER_PORT = TEST_KAFKA_PORT + 300, TEST_KAFKA_PORT + 301
BOOTSTRAP = f"127.0.0.1:{PORT}"
REFUSED_WITHIN_MS = 3000


@pytest.fixture(scope="module")
def kdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SASL broker of its own."""
    data_dir = tmp_path_factory.mktemp("sasl")
    try:
        kafka_local.start(data_dir, port=PORT, controller_port=CONTROLLER_PORT, sasl=True)
        yield data_dir / "kafka"
    finally:
        kafka_local.stop(data_dir)


def signed_in(settings: Settings, kdir: Path, user: str) -> Settings:
    base = settings.model_copy(update={"kafka_bootstrap": BOOTSTRAP, "partitions": 2})
    return kafka_sasl.signed_in_as(base, kdir, user)


def components(settings: Settings, kdir: Path) -> tuple[Settings, Settings, Settings]:
    """The admin, API and worker settings; the admin has granted the others their ACLs on the
    settings' topics and created the topics."""
    admin, api, worker = (signed_in(settings, kdir, u) for u in (ADMIN_USER, API_USER, WORKER_USER))
    passwords = kafka_sasl.credentials(kdir)
    grant(admin, {user: passwords[user] for user in (API_USER, WORKER_USER)})
    ensure_topics(admin)
    return admin, api, worker


def list_topics(**options: object) -> set[str]:
    timeouts = {"request_timeout_ms": REFUSED_WITHIN_MS, "bootstrap_timeout_ms": REFUSED_WITHIN_MS}
    with KafkaAdminClient(bootstrap_servers=BOOTSTRAP, **timeouts, **options) as admin:
        return set(admin.list_topics())


def read_all(settings: Settings, stream: str, expected: int) -> list[bytes]:
    consumer = KafkaConsumer(bootstrap_servers=BOOTSTRAP, **client_options(settings))
    try:
        topic = settings.topic(stream)
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        values: list[bytes] = []
        deadline = time.monotonic() + 15
        while len(values) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(r.value for r in records)
        return values
    finally:
        consumer.close()


def test_strangers_are_refused_and_each_component_does_only_its_part(
    kdir: Path, tmp_path: Path
) -> None:
    _, api, worker = components(Settings(data_dir=tmp_path, topic_prefix="sasl."), kdir)

    with pytest.raises(KafkaError):
        list_topics()
    wrong = client_options(api.model_copy(update={"kafka_password": SecretStr("guess")}))
    with pytest.raises(KafkaError):
        list_topics(**wrong)
    seen_by_api = list_topics(**client_options(api))
    assert api.topic("users") in seen_by_api  # its partitions and offsets, not its contents

    decided = KafkaEventPublisher(worker)
    decided.append("stock", "wh-marrakech", [b"120 baskets received"])
    decided.close()
    assert read_all(worker, "stock", expected=1) == [b"120 baskets received"]

    api_publisher = KafkaEventPublisher(api)
    api_publisher.append("stock-commands", "wh-marrakech", [b"dispatch 40 baskets"])
    with pytest.raises(BrokerUnavailable, match="TopicAuthorizationFailed"):
        api_publisher.append("stock", "wh-marrakech", [b"a forged receipt"])
    api_publisher.close()
    with pytest.raises(TopicAuthorizationFailedError):
        read_all(api, "users", expected=1)


def test_the_system_works_signed_in(kdir: Path, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        topic_prefix="system.",
        database_url=f"sqlite:///{tmp_path / 'readmodels.db'}",
        read_wait_seconds=15,
    )
    admin, api, worker = components(settings, kdir)
    engine = make_engine(settings.db_url)
    migrate(engine)
    process = WorkerProcess(worker).start()
    publisher = KafkaEventPublisher(api)
    try:
        users = KafkaEventPublisher(admin)
        token, position = create_user(admin, users, "amina-admin", "admin")
        users.close()
        assert wait_projected(engine, settings, position, timeout=60), process.log_tail()
        with TestClient(create_app(api, publisher)) as client:
            signed = {"Authorization": f"Bearer {token}"}
            created = client.post(
                "/v1/items",
                headers=signed,
                json={"id": "ramadan-basket", "name": "Panier Ramadan", "unit": "basket"},
            )
            assert created.status_code == 201, created.text + process.log_tail()
            site = {"id": "site-amizmiz", "name": "Amizmiz", "kind": "site",
                    "region_code": "MA07", "region_name": "Marrakech-Safi"}  # fmt: skip
            located = client.post("/v1/locations", headers=signed, json=site)
            assert located.status_code == 201, located.text + process.log_tail()
            household = {"id": "hh-sasl-1", "national_id": "JB482913", "head_name": "Zahra",
                         "size": 4, "region_code": "MA07"}  # fmt: skip
            registered = client.post("/v1/households", headers=signed, json=household)
            assert registered.status_code == 201, registered.text + process.log_tail()
            # a read of personal data: the API has its record decided, as it writes no event
            eventually(
                lambda: client.get("/v1/households/hh-sasl-1", headers=signed).status_code == 200,
                what="the household shown",
            )
        trail = read_all(worker, "users", expected=2)
        assert any(b"PersonalDataRead" in value for value in trail), process.log_tail()
    finally:
        process.stop()
        publisher.close()
        engine.dispose()
