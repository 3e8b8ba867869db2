"""/healthz says in words what is degraded: a stopped worker shows as waiting commands and lag."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events import Actor
from services.domain.commands import CommandEnvelope
from services.domain.stock.commands import ReceiveStock
from services.runtime.health import check
from tests.integration.conftest import System
from tests.integration.test_faults import receipt_bytes
from tests.support.kafka import CheckedProducer
from tests.support.processes import eventually

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.one_backend("sqlite")
def test_healthz_is_ok_with_a_worker_and_names_what_lags_without_one(system: System) -> None:
    monitor = system.user("prometheus", "monitor")
    eventually(
        lambda: system.client.get("/healthz").json() == {"status": "ok"},
        timeout=60,
        what=f"a healthy system\n{system.worker.log_tail()}",
    )
    # the monitor's user was created by a command, whose position the worker commits a
    # moment after deciding it
    eventually(
        lambda: (
            system.client.get("/healthz", headers=monitor).json()["deciders"]
            == {"pending_commands": 0}
        ),
        timeout=30,
        what="the worker's position past every command",
    )
    healthy = system.client.get("/healthz", headers=monitor).json()
    assert healthy["problems"] == [], healthy

    system.worker.stop()
    settings = system.settings.model_copy(
        update={"health_max_lag": 10, "health_max_pending_commands": 3}
    )
    kafka = CheckedProducer(bootstrap_servers=settings.kafka_bootstrap)
    for n in range(20):
        kafka.send(settings.topic("stock"), key=b"wh-casablanca",
                   value=receipt_bytes(n, "wh-casablanca", "flour-25kg", 1))  # fmt: skip
    for n in range(5):
        command = ReceiveStock(
            receipt_id=f"waiting-{n}", location_id="wh-casablanca", item_id="flour-25kg", lot="L1",
            quantity=1,
        )  # fmt: skip
        envelope = CommandEnvelope.of(
            command, f"waiting-{n}", Actor(user_id="amina", role="operator"), NOW
        )
        kafka.send(settings.topic("stock-commands"), key=b"wh-casablanca",
                   value=envelope.model_dump_json().encode())  # fmt: skip
    kafka.flush(timeout=30)
    kafka.close()

    report = check(settings, system.engine)
    assert report["status"] == "degraded"
    assert report["projections"]["inventory"]["lag"] == 20
    assert report["deciders"]["pending_commands"] == 5
    assert any("projection inventory is 20 events behind" in p for p in report["problems"])
    assert any("5 commands wait for a worker" in p for p in report["problems"])
    # lagging is not down: the API still serves, so it stays in the load balancer
    assert system.client.get("/healthz").status_code == 200
