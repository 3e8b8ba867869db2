"""A receipt over HTTP becomes a Kafka event, the worker projects it, the API serves it."""

from __future__ import annotations

import random
from collections import Counter

import orjson
import pytest

from tests.integration.conftest import System
from tests.support import reference
from tests.support.pages import every_item
from tests.support.processes import eventually
from tests.support.reference import ITEMS, SITE, WAREHOUSES

pytestmark = pytest.mark.kafka


def register_reference(system: System, admin: dict[str, str]) -> None:
    """The two warehouses, the site and the two items (tests/support/reference.py)."""
    reference.register_reference(system.client, admin)


@pytest.mark.slow
@pytest.mark.one_backend
def test_a_thousand_receipts_with_repeats_give_exact_on_hand(system: System) -> None:
    admin = system.user("amina-admin", "admin")
    register_reference(system, admin)
    rng = random.Random(7)
    locations = [w[0] for w in WAREHOUSES] + [SITE[0]]
    receipts = [
        {
            "id": f"rcpt-{n:05d}",
            "location_id": rng.choice(locations),
            "item_id": rng.choice(ITEMS)[0],
            "quantity": rng.randint(1, 500),
        }
        for n in range(1000)
    ]
    expected: Counter[tuple[str, str]] = Counter()
    last_position = None
    for n, body in enumerate(receipts):
        r = system.client.post("/v1/stock/receipts", headers=admin, json=body)
        assert r.status_code == 201, r.text
        last_position = r.json()["position"]
        expected[(body["location_id"], body["item_id"])] += body["quantity"]
        if n % 10 == 0:  # the client retries one in ten with the same id
            again = system.client.post("/v1/stock/receipts", headers=admin, json=body)
            assert again.status_code in (200, 201), again.text
            assert again.json()["event_id"] == r.json()["event_id"]

    def on_hand() -> Counter[tuple[str, str]]:
        after = {"after": last_position}
        totals: Counter[tuple[str, str]] = Counter()
        for row in every_item(system.client, "/v1/inventory", admin, after):
            totals[(row["location_id"], row["item_id"])] += row["on_hand"]
        return totals

    from tests.support.processes import eventually

    eventually(lambda: on_hand() == expected, timeout=60, what="inventory to match receipts")
    assert sum(expected.values()) == sum(r["quantity"] for r in receipts)


@pytest.mark.one_backend("sqlite")
def test_the_writer_reads_its_own_write(system: System) -> None:
    admin = system.user("omar-admin", "admin")
    register_reference(system, admin)
    r = system.client.post(
        "/v1/stock/receipts",
        headers=admin,
        json={
            "id": "rcpt-ryw",
            "location_id": "wh-marrakech",
            "item_id": "flour-25kg",
            "quantity": 40,
            "lot": "FL-24",
            "expires_on": "2097-06-30",
        },
    )
    assert r.status_code == 201, r.text
    rows = system.client.get(
        "/v1/inventory",
        headers=admin,
        params={"after": r.json()["position"], "location_id": "wh-marrakech"},
    ).json()["items"]
    assert rows == [
        {
            "location_id": "wh-marrakech",
            "item_id": "flour-25kg",
            "lot": "FL-24",
            "expires_on": "2097-06-30",
            "on_hand": 40,
        }
    ]


def test_one_correlation_id_follows_a_receipt_from_the_request_to_the_worker_logs(
    system: System,
) -> None:
    admin = system.user("idriss-admin", "admin")
    register_reference(system, admin)
    r = system.client.post(
        "/v1/stock/receipts",
        headers={**admin, "X-Correlation-ID": "truck-44:unloading"},
        json={"id": "rcpt-corr", "location_id": "wh-casablanca", "item_id": "flour-25kg",
              "quantity": 5},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.headers["X-Correlation-ID"] == "truck-44:unloading"

    def decided_line() -> dict[str, object] | None:
        for line in system.worker.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{") and "truck-44:unloading" in line:
                return dict(orjson.loads(line))
        return None

    eventually(lambda: decided_line() is not None, timeout=30, what="the worker's decision line")
    line = decided_line()
    assert line is not None
    assert line["correlation_id"] == "truck-44:unloading"
    assert line["command"] == "ReceiveStock" and line["outcome"] == "accepted"
    assert line["logger"] == "services.runtime.decider_runner" and line["level"] == "INFO"
