"""The system run as a deciders process and projectors processes (`aid worker --role`).

Commands are decided by the one process and projected by the others; a projectors process
killed with SIGKILL and started again loses and doubles nothing, and processes keeping
different projections each keep theirs without meeting in a consumer group.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from api.app import create_app
from projections.database import make_engine, migrate
from projections.registry import PROJECTIONS
from services.runtime.publisher import KafkaEventPublisher
from services.runtime.settings import Settings
from services.runtime.topics import ensure_topics
from tests.integration.conftest import System
from tests.integration.test_receipts_end_to_end import ITEMS, SITE, WAREHOUSES, register_reference
from tests.integration.test_workers_and_database_faults import (
    applied_count,
    on_hand,
    stock_end_offsets,
    stored_positions,
)
from tests.support.kafka import wait_until_served
from tests.support.processes import WorkerProcess, eventually

pytestmark = pytest.mark.kafka
LOCATIONS = [w[0] for w in WAREHOUSES] + [SITE[0]]


class RoleProcess(WorkerProcess):
    """`aid worker --role ROLE [--projections NAMES]`."""

    def __init__(self, settings: Settings, role: str, projections: str = "") -> None:
        super().__init__(settings, f"{role}-{projections or 'all'}".replace(",", "-")[:60])
        self.command = ("worker", "--role", role)
        if projections:
            self.command += ("--projections", projections)


@pytest.fixture
def deciders(settings: Settings) -> Iterator[System]:
    """The system with a deciders (and policies) process as its worker, and no projector yet."""
    ensure_topics(settings)
    wait_until_served(settings)
    engine = make_engine(settings.db_url)
    migrate(engine)
    worker = RoleProcess(settings, "deciders,policies").start()
    publisher = KafkaEventPublisher(settings)
    try:
        with TestClient(create_app(settings, publisher)) as client:
            yield System(settings, engine, publisher, worker, client)
    finally:
        worker.discard()
        publisher.close()
        engine.dispose()


def receipt(n: int) -> dict[str, Any]:
    return {
        "id": f"rcpt-{n:05d}",
        "location_id": LOCATIONS[n % len(LOCATIONS)],
        "item_id": ITEMS[n % len(ITEMS)][0],
        "quantity": 1 + n % 37,
    }


def on_hand_after(count: int) -> Counter[tuple[str, str]]:
    """What the first `count` receipts put on hand, by location and item."""
    totals: Counter[tuple[str, str]] = Counter()
    for body in map(receipt, range(count)):
        totals[(body["location_id"], body["item_id"])] += body["quantity"]
    return totals


def assert_positions_at_the_end(system: System) -> None:
    """The inventory's stored position is the last offset of every stock partition written
    to (three locations may leave one of the test's partitions empty)."""
    ends = {p: end for p, end in stock_end_offsets(system.settings).items() if end > 0}
    assert stored_positions(system.engine, system.settings) == {p: e - 1 for p, e in ends.items()}


def group_members(settings: Settings, suffix: str) -> list[str] | None:
    """The client ids of a stable consumer group's members (None while it is not stable)."""
    group = f"{settings.topic_prefix}{suffix}"
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10000)
    try:
        description = admin.describe_groups([group])[group]
    except KafkaError:
        return None
    finally:
        admin.close()
    if description.get("group_state") == "Dead":
        return []
    if description.get("error") or description.get("group_state") != "Stable":
        return None
    return sorted(m.get("client_id", "") for m in description.get("members", []))


def test_deciders_and_projectors_apart_and_a_killed_projectors_process_loses_nothing(
    deciders: System,
) -> None:
    system = deciders
    projectors = RoleProcess(system.settings, "projectors").start()
    try:
        admin = system.user("amina-admin", "admin")  # decided there, projected here
        register_reference(system, admin)
        answers: list[int] = []
        retried: list[int] = []

        def send(n: int) -> None:
            body = receipt(n)
            answers.append(
                system.client.post("/v1/stock/receipts", headers=admin, json=body).status_code
            )
            if n % 10 == 0:  # a client retry with the same id: one receipt still
                again = system.client.post("/v1/stock/receipts", headers=admin, json=body)
                retried.append(again.status_code)
            time.sleep(0.03)  # four clients at about 100 receipts/s: a load the kill falls in

        with ThreadPoolExecutor(max_workers=4) as pool:
            load = pool.map(send, range(400))
            eventually(
                lambda: applied_count(system.engine) >= 100,
                timeout=60,
                what=f"receipts projected\n{projectors.log_tail()}",
            )
            projectors.kill9()
            killed_at = applied_count(system.engine)
            print(f"projectors killed at {killed_at} applied")
            time.sleep(1)  # receipts decided meanwhile, nobody projecting them
            projectors.start()
            list(load)
        assert killed_at < 400, "the receipts were all projected before the kill"
        assert Counter(answers) == {201: 400}
        assert set(retried) <= {200, 201} and len(retried) == 40, Counter(retried)

        eventually(
            lambda: on_hand(system.engine) == on_hand_after(400),
            timeout=60,
            what=f"inventory equal to the receipts\n{projectors.log_tail()}",
        )
        assert applied_count(system.engine) == 400
        assert_positions_at_the_end(system)
        # the projectors process never joined the deciders' Faust group
        assert len(group_members(system.settings, "worker") or []) == 1
    finally:
        projectors.discard()


def test_processes_keeping_different_projections_each_keep_theirs(deciders: System) -> None:
    system, settings = deciders, deciders.settings
    # every projection but the inventory (a read of one's own write waits for all of a
    # stream's readers: the users stream's are the users and the history)
    rest = ",".join(name for name in PROJECTIONS if name != "inventory")
    people = RoleProcess(settings, "projectors", rest).start()
    stock = RoleProcess(settings, "projectors", "inventory").start()
    try:
        admin = system.user("nadia-admin", "admin")
        register_reference(system, admin)
        for n in range(30):
            r = system.client.post("/v1/stock/receipts", headers=admin, json=receipt(n))
            assert r.status_code == 201, r.text
        eventually(
            lambda: on_hand(system.engine) == on_hand_after(30),
            timeout=60,
            what=f"inventory\n{stock.log_tail()}",
        )
        assert group_members(settings, "projection-inventory") == ["aid-projector-inventory"]
        assert group_members(settings, "projection-history") == ["aid-projector-history"]
        assert group_members(settings, "worker") is not None
        assert len(group_members(settings, "worker") or []) == 1  # the deciders alone

        # the inventory's process killed: users are still projected, receipts still decided
        stock.kill9()
        system.user("omar-operator", "operator", warehouses=["wh-marrakech"])
        late = system.client.post("/v1/stock/receipts", headers=admin, json=receipt(30))
        assert late.status_code == 201, late.text
        time.sleep(1)
        assert applied_count(system.engine) == 30
        stock.start()
        eventually(lambda: applied_count(system.engine) == 31, timeout=60, what="catch-up")
        assert_positions_at_the_end(system)

        # SIGTERM: the projectors leave their groups and the process ends cleanly
        stock.stop()
        assert stock.process is not None and stock.process.returncode == 0, stock.log_tail()
        assert "stopped by a signal" in stock.log_tail(5)
    finally:
        stock.discard()
        people.discard()
