"""Flows across aggregates survive kill -9: convoys dispatched and delivered, and donations
received, by policies.

100 convoys are dispatched from Marrakech (500 baskets: not enough for all of them), a third
of them delivered at the site as soon as they left (some a basket short), and 100 donations
received at Casablanca through an `aid api` process, by clients that retry a 503 or a dropped
connection, while the worker and the API are killed with SIGKILL at random moments and
restarted (and the worker once stopped with SIGTERM, which must not acknowledge a batch of
events its policies were still reacting to). Afterwards every convoy has left with its stock
taken once, or is planned again with nothing taken; every delivered convoy's stock entered
the site once, and no convoy that left is delivered without it nor holds it without being
delivered; Casablanca holds exactly the donations. With the policies off, the same requests
leave the convoys `dispatching`: the policy is what finishes them.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from projections.tables import transfer_lines
from services.runtime.settings import Settings
from tests.conftest import LONG_FAULTS
from tests.integration.conftest import System
from tests.integration.test_receipts_end_to_end import register_reference
from tests.support.pages import every_item
from tests.support.processes import ApiProcess, eventually

pytestmark = pytest.mark.kafka
BASKETS, SITE = "ramadan-basket", "site-al-haouz"
MARRAKECH, CASABLANCA = "wh-marrakech", "wh-casablanca"
OPERATION, DONOR = "seisme-al-haouz", "fondation-atlas"
# `AID_LONG_FAULTS=1`: 200 convoys and 200 donations, ten kills; by default 100 and three
CONVOYS = 200 if LONG_FAULTS else 100
IN_MARRAKECH = 5 * CONVOYS  # fewer baskets than the convoys ask for: some are refused
KILLS = 10 if LONG_FAULTS else 3


def prepare(system: System, admin: dict[str, str], convoys: int, rng: random.Random) -> dict:
    """Reference data, IN_MARRAKECH baskets in Marrakech, and `convoys` convoys planned there."""
    register_reference(system, admin)

    def ok(path: str, body: dict[str, Any]) -> None:
        answer = system.client.post(path, headers=admin, json=body)
        assert answer.status_code in (200, 201), answer.text

    ok("/v1/donors", {"id": DONOR, "name": "Fondation Atlas"})
    ok("/v1/operations", {"id": OPERATION, "name": "Séisme", "kind": "earthquake"})
    ok(
        "/v1/stock/receipts",
        {"id": "stock-mk", "location_id": MARRAKECH, "item_id": BASKETS, "quantity": IN_MARRAKECH},
    )
    planned = {f"convoy-{n:03d}": rng.randint(1, 10) for n in range(convoys)}
    plans = [
        {"id": convoy, "operation_id": OPERATION, "from_location_id": MARRAKECH,
         "to_location_id": SITE, "lines": [{"item_id": BASKETS, "quantity": quantity}]}
        for convoy, quantity in planned.items()
    ]  # fmt: skip
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda plan: ok("/v1/deployments", plan), plans))
    system.settled()  # the `aid api` process dispatching them reads the plans it did not write
    return planned


def until_decided(client: httpx.Client, admin: dict[str, str], path: str, body: Any) -> Any:
    """A client that asks again after a 503 or a lost connection until it gets an answer."""
    deadline = time.monotonic() + 240
    while True:
        try:
            answer = client.post(path, headers=admin, json=body)
            if answer.status_code != 503:
                return answer
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"no answer to {path} within 4 minutes"
        time.sleep(0.3)


def board(system: System, admin: dict[str, str]) -> dict[str, str]:
    rows = every_item(system.client, "/v1/deployments", admin, {"operation_id": OPERATION})
    return {row["id"]: row["status"] for row in rows}


def on_hand(system: System, admin: dict[str, str], location: str) -> int:
    params = {"location_id": location, "item_id": BASKETS}
    rows = every_item(system.client, "/v1/inventory", admin, params)
    return sum(row["on_hand"] for row in rows)


def moved_per_convoy(system: System) -> dict[str, tuple[int, int, int]]:
    """Per convoy's transfer: baskets taken at Marrakech, received at the site, missing."""
    t = transfer_lines
    sums = (func.sum(t.c.dispatched), func.sum(t.c.received), func.sum(t.c.missing))
    with system.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.transfer_id, *sums)
            .where(t.c.transfer_id.like("convoy-%"))
            .group_by(t.c.transfer_id)
        ).all()
    return {transfer: (int(a), int(b), int(c)) for transfer, a, b, c in rows}


def taken_per_convoy(system: System) -> dict[str, int]:
    return {convoy: moved[0] for convoy, moved in moved_per_convoy(system).items()}


def deliver(client: httpx.Client, admin: dict[str, str], convoy: str, quantity: int) -> Any:
    """Deliver a convoy that has left; ask again while this API's read model has not yet seen
    it leave (an API restarted since the dispatch does not wait for another's writes)."""
    body = {"lines": [{"item_id": BASKETS, "quantity": quantity}]}
    deadline = time.monotonic() + 60
    while True:
        answer = until_decided(client, admin, f"/v1/deployments/{convoy}/deliver", body)
        unseen = answer.json().get("error") in ("unknown_transfer", "deployment_planned")
        if not unseen or time.monotonic() > deadline:
            return answer
        time.sleep(0.3)


@pytest.fixture
def api(system: System) -> Iterator[ApiProcess]:
    process = ApiProcess(system.settings).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.slow
@pytest.mark.one_backend
def test_kill_9_of_the_worker_and_the_api_during_dispatches_deliveries_and_donations(
    system: System, api: ApiProcess
) -> None:
    admin = system.user("nadia-admin", "admin")
    rng = random.Random(13)
    planned = prepare(system, admin, CONVOYS, rng)
    gifts = {f"don-{n:03d}": rng.randint(1, 50) for n in range(CONVOYS)}
    arriving = {  # a third of the convoys are delivered, every other one a basket short
        convoy: quantity - (n % 2 if quantity > 1 else 0)
        for n, (convoy, quantity) in enumerate(planned.items())
        if n % 3 == 0
    }
    donation = {"donor_id": DONOR, "location_id": CASABLANCA, "item_id": BASKETS}
    requests = [(f"/v1/deployments/{c}/dispatch", None) for c in planned] + [
        ("/v1/donations", donation | {"id": g, "quantity": q}) for g, q in gifts.items()
    ]
    rng.shuffle(requests)
    answers: dict[str, tuple[int, str | None]] = {}
    delivered: dict[str, tuple[int, str | None]] = {}
    done = Counter[str]()
    client = httpx.Client(base_url=api.url, timeout=30)

    def send(path: str, body: Any) -> None:
        answer = until_decided(client, admin, path, body)
        key = body["id"] if body else path.split("/")[3]
        answers[key] = (answer.status_code, answer.json().get("error"))
        if key in arriving and answers[key] in ((200, None), (409, "deployment_dispatched")):
            arrived = deliver(client, admin, key, arriving[key])
            delivered[key] = (arrived.status_code, arrived.json().get("error"))
        done["all"] += 1

    moments = sorted(rng.sample(range(20, len(requests) - 20), KILLS))

    def killer() -> None:
        for n, at in enumerate(moments):
            while done["all"] < at:
                time.sleep(0.02)
            time.sleep(rng.random() * 0.3)  # somewhere inside the requests in flight
            victim = system.worker if n % 2 == 0 else api
            if n % 4 == 2:  # a graceful stop (SIGTERM) of the worker, reactions in flight
                victim.stop()
            else:
                victim.kill9()
            victim.start()

    chaos = threading.Thread(target=killer)
    chaos.start()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda request: send(*request), requests))
    chaos.join()
    client.close()

    def board_agrees() -> bool:
        """No convoy dispatching or delivering, and every answer given is projected."""
        statuses = board(system, admin)
        steady = set(statuses.values()) <= {"dispatched", "planned", "delivered"}
        gone = [c for c in planned if answers[c] in ((200, None), (409, "deployment_dispatched"))]
        return (
            steady
            and all(statuses.get(convoy) in ("dispatched", "delivered") for convoy in gone)
            and all(statuses.get(convoy) == "delivered" for convoy in delivered)
        )

    eventually(
        board_agrees,
        timeout=60,
        what=f"no convoy left dispatching or delivering and every answer seen: "
        f"{Counter(board(system, admin).values())}\n{system.worker.log_tail()}",
    )
    statuses = board(system, admin)
    left = {c for c, status in statuses.items() if status in ("dispatched", "delivered")}
    arrived = {c for c, status in statuses.items() if status == "delivered"}
    assert left and len(left) < len(planned), Counter(statuses.values())
    for convoy, answer in delivered.items():  # delivered, whatever the retries
        assert answer in ((200, None), (409, "deployment_delivered")), (convoy, answer)
    assert arrived == set(delivered) == {c for c in arriving if c in left}
    for convoy in planned:  # the client's answer agrees with the board
        status, error = answers[convoy]
        if status == 200 or error == "deployment_dispatched":
            assert convoy in left, (convoy, status, error)
        else:
            assert (status, error) == (409, "insufficient_stock") and convoy not in left
    expected_mk = IN_MARRAKECH - sum(planned[c] for c in left)
    moved = {c: (planned[c], 0, 0) for c in left}  # taken, received at the site, missing
    moved |= {c: (planned[c], arriving[c], planned[c] - arriving[c]) for c in arrived}
    eventually(
        lambda: (
            moved_per_convoy(system) == moved
            and on_hand(system, admin, MARRAKECH) == expected_mk
            and on_hand(system, admin, SITE) == sum(arriving[c] for c in arrived)
            and on_hand(system, admin, CASABLANCA) == sum(gifts.values())
        ),
        timeout=60,
        what="each convoy's stock taken once and received once if delivered, "
        "each donation's received once",
    )
    assert {status for status, _ in (answers[g] for g in gifts)} <= {200, 201}
    for gift in rng.sample(sorted(gifts), 10):
        trace = system.client.get(f"/v1/donations/{gift}/trace", headers=admin).json()
        assert trace["received"] == gifts[gift]


@pytest.mark.one_backend("sqlite")
def test_without_the_policies_convoys_stay_dispatching_and_donations_unreceived(
    settings: Settings, kafka_bootstrap: str
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from projections.database import make_engine, migrate
    from services.runtime.publisher import KafkaEventPublisher
    from services.runtime.topics import ensure_topics
    from tests.support.processes import WorkerProcess

    off = settings.model_copy(update={"policies": False, "decision_timeout_seconds": 2.0})
    ensure_topics(off)
    engine = make_engine(off.db_url)
    migrate(engine)
    worker = WorkerProcess(off).start()
    publisher = KafkaEventPublisher(off)
    try:
        with TestClient(create_app(off, publisher)) as client:
            system = System(off, engine, publisher, worker, client)
            admin = system.user("nadia-admin", "admin")
            planned = prepare(system, admin, 5, random.Random(1))
            for convoy in planned:
                answer = client.post(f"/v1/deployments/{convoy}/dispatch", headers=admin)
                assert answer.status_code == 503, answer.text
            gift = {"id": "don-1", "donor_id": DONOR, "location_id": CASABLANCA,
                    "item_id": BASKETS, "quantity": 40}  # fmt: skip
            assert client.post("/v1/donations", headers=admin, json=gift).status_code == 503
            time.sleep(3)  # time enough for a policy, were there one

            assert set(board(system, admin).values()) == {"dispatching"}
            assert taken_per_convoy(system) == {}
            assert on_hand(system, admin, MARRAKECH) == IN_MARRAKECH
            assert on_hand(system, admin, CASABLANCA) == 0
    finally:
        worker.discard()
        publisher.close()
        engine.dispose()
