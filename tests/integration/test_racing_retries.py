"""A retry that races its original gets the one answer at once: on the real broker, over HTTP.

Phones and the offline sync resend a request when the connection drops mid-way, often
while the first is still in flight. Every copy must get the same answer as soon as the
command is decided (never a 503 after the decision timeout), and the log must hold the
command once. Callers who pick the same id for different commands each get the answer
to their own.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from projections import households_queries
from projections.tables import stock_movements
from services.runtime.settings import Settings
from tests.integration.conftest import System
from tests.integration.test_distributions_end_to_end import CAMPAIGN, SITE, open_campaign, register
from tests.support.processes import eventually

pytestmark = pytest.mark.kafka
COPIES = 20
MARRAKECH, BASKETS = "wh-marrakech", "ramadan-basket"
# The worker is held until every copy waits, which on a busy machine can take seconds: the
# decision timeout is long enough that no copy times out while held, and the answers must
# still come within the normal latency once the worker goes on.
DECISION_TIMEOUT, HOLD_AT_MOST, NORMAL_LATENCY = 30.0, 15.0, 4.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"decision_timeout_seconds": DECISION_TIMEOUT})


def requests_waiting(system: System) -> int:
    """How many requests the API's command bus holds waiting for a decision."""
    bus = system.client.app.state.services.bus
    return sum(getattr(sent, "waiters", 1) for sent in list(bus.waiting.values()))


def at_once(
    system: System, send: Callable[[int], httpx.Response], copies: int, waiters: int | None = None
) -> list[tuple[httpx.Response, float]]:
    """Each copy sent by its own thread while the worker is held, so that all are in flight
    when it decides (as a retry racing its original); each answer with its latency after the
    worker goes on. The worker is held until `waiters` requests wait (or HOLD_AT_MOST)."""
    assert system.worker.process is not None
    system.settled()
    group = system.worker.process.pid
    os.killpg(group, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(max_workers=copies) as pool:
            sent = [pool.submit(lambda n: (send(n), time.monotonic()), n) for n in range(copies)]
            held_until = time.monotonic() + HOLD_AT_MOST
            while requests_waiting(system) < (waiters or copies):
                assert time.monotonic() < held_until, "the copies were not all in flight"
                time.sleep(0.01)
            os.killpg(group, signal.SIGCONT)
            resumed = time.monotonic()
            return [(answer, at - resumed) for answer, at in (s.result() for s in sent)]
    finally:
        os.killpg(group, signal.SIGCONT)


def assert_one_answer(system: System, answers: list[tuple[httpx.Response, float]]) -> Any:
    """The same status and body for every copy, each well within the decision timeout."""
    codes = Counter(a.status_code for a, _ in answers)
    slowest = max(seconds for _, seconds in answers)
    assert len(codes) == 1, (codes, [a.text for a, _ in answers if a.status_code >= 500][:3])
    assert len({a.text for a, _ in answers}) == 1, [a.text for a, _ in answers]
    assert slowest < NORMAL_LATENCY, f"slowest {slowest:.1f}s"
    return answers[0][0]


def test_twenty_copies_of_a_receipt_in_flight_get_one_answer_and_one_movement(
    system: System,
) -> None:
    admin = system.user("rachid-admin", "admin")
    open_campaign(system, admin)
    body = {"id": "rcpt-flaky", "location_id": MARRAKECH, "item_id": BASKETS, "quantity": 40}

    def send(_: int) -> httpx.Response:
        return system.client.post("/v1/stock/receipts", headers=admin, json=body)

    answer = assert_one_answer(system, at_once(system, send, COPIES))
    assert answer.status_code == 201, answer.text
    position = answer.json()["position"]
    inventory = system.client.get(
        "/v1/inventory",
        headers=admin,
        params={"location_id": MARRAKECH, "item_id": BASKETS, "after": position},
    ).json()["items"]
    assert sum(row["on_hand"] for row in inventory) == 40
    with system.engine.connect() as conn:
        moved = conn.scalar(
            select(func.count()).where(stock_movements.c.reference_id == "rcpt-flaky")
        )
    assert moved == 1


def test_twenty_copies_of_a_distribution_in_flight_get_one_answer_and_one_basket(
    system: System,
) -> None:
    agent = system.user("hanane-admin", "admin")
    open_campaign(system, agent)
    household = register(system, agent, 7)
    body = {
        "id": "dist-flaky",
        "campaign_id": CAMPAIGN["id"],
        "household_id": household,
        "site_id": SITE,
        "quantity": 1,
    }

    def send(_: int) -> httpx.Response:
        return system.client.post("/v1/distributions", headers=agent, json=body)

    answer = assert_one_answer(system, at_once(system, send, COPIES))
    assert answer.status_code == 201, answer.text
    eligibility = system.client.get(
        f"/v1/households/{household}/eligibility",
        headers=agent,
        params={"campaign_id": CAMPAIGN["id"], "after": answer.json()["position"]},
    ).json()
    assert [r["distribution_id"] for r in eligibility["received"]] == ["dist-flaky"]


@pytest.mark.one_backend("sqlite")
def test_an_offline_batch_synced_twice_at_once_gets_one_answer_and_each_basket_once(
    system: System,
) -> None:
    agent = system.user("ilham-admin", "admin")
    open_campaign(system, agent)
    households = [register(system, agent, n) for n in range(30)]
    record = {"campaign_id": CAMPAIGN["id"], "site_id": SITE, "quantity": 1}
    records = [record | {"id": f"field-{h}", "household_id": h} for h in households]

    def send(_: int) -> httpx.Response:
        return system.client.post(
            "/v1/distributions/batch", headers=agent, json={"records": records}
        )

    # a sync sends one command per partition of its households: each copy waits for those
    system.settled()
    services = system.client.app.state.services
    rows = households_queries.households_by_id(services.engine, households)
    commands = len({services.partition_of(row["identity"]) for row in rows.values()})

    answer = assert_one_answer(system, at_once(system, send, 2, 2 * commands))
    assert answer.status_code == 200, answer.text
    statuses = Counter(r["status"] for r in answer.json()["results"])
    assert statuses == {"accepted": 30}, answer.json()
    # and twenty syncs of the same batch at once, now that it is decided: replays, one answer
    answer = assert_one_answer(system, at_once(system, send, COPIES, COPIES * commands))
    assert Counter(r["status"] for r in answer.json()["results"]) == {"accepted": 30}

    def reached() -> int:
        coverage = system.client.get(f"/v1/campaigns/{CAMPAIGN['id']}/coverage", headers=agent)
        return int(coverage.json()["reached_households"])

    eventually(lambda: reached() == 30, timeout=60, what="every household reached")
    for household in households:
        received = system.client.get(
            f"/v1/households/{household}/eligibility",
            headers=agent,
            params={"campaign_id": CAMPAIGN["id"]},
        ).json()["received"]
        assert [r["distribution_id"] for r in received] == [f"field-{household}"]


@pytest.mark.one_backend("sqlite")
def test_two_callers_racing_with_one_id_for_different_receipts_each_get_their_own_answer(
    system: System,
) -> None:
    admin = system.user("meryem-admin", "admin")
    open_campaign(system, admin)
    operator = system.user("said-operator", "operator", warehouses=[MARRAKECH])
    callers = [admin, operator] * (COPIES // 2)
    quantities = [11, 22] * (COPIES // 2)

    def send(n: int) -> httpx.Response:
        body = {"id": "rcpt-shared", "location_id": MARRAKECH, "item_id": BASKETS}
        return system.client.post(
            "/v1/stock/receipts", headers=callers[n], json=body | {"quantity": quantities[n]}
        )

    answers = at_once(system, send, COPIES)
    assert max(seconds for _, seconds in answers) < NORMAL_LATENCY
    accepted = [(n, a) for n, (a, _) in enumerate(answers) if a.status_code in (200, 201)]
    refused = [a for a, _ in answers if a.status_code == 409]
    assert len(accepted) + len(refused) == COPIES, [a.text for a, _ in answers]
    won = {quantities[n] for n, _ in accepted}
    assert len(won) == 1, "only one of the two receipts can hold the id"
    assert len({a.json()["event_id"] for _, a in accepted}) == 1
    assert all(r.json()["error"] == "idempotency_conflict" for r in refused), refused[0].text
    assert {quantities[n] for n, (a, _) in enumerate(answers) if a.status_code == 409} == (
        {11, 22} - won
    )
