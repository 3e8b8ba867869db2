"""/metrics and /healthz, as stories at Casablanca with no Kafka next to the unit tests.

Kafka is pointed at a port nobody listens on (127.0.0.1:1), so the scrape must report it down
within its timeout instead of hanging, and /healthz must say it is degraded. Metrics and the
detail of /healthz are for a token holding `operations.read` (the monitor's, the admin's).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from api.metrics import families
from api.permissions import ROLES
from projections.registry import PROJECTIONS
from services.runtime.health import CachedCheck, check
from tests.support.api import SITE, ApiHarness

CASABLANCA, BASKETS = "wh-casablanca", "ramadan-basket"
NOWHERE = "127.0.0.1:1"  # a port nobody listens on: Kafka refuses at once
RECEIPTS = "/v1/stock/receipts"
DECISIONS = "aid_decisions_total"


def kafka_unreachable(api: ApiHarness, timeout: float) -> None:
    """Point the app's Kafka at nowhere and give up on it after `timeout` seconds."""
    services = api.app.state.services
    update = {"kafka_bootstrap": NOWHERE, "kafka_timeout_seconds": timeout}
    services.settings = services.settings.model_copy(update=update)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        kafka_unreachable(harness, timeout=0.3)  # keeps each scrape short
        yield harness


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(api: ApiHarness) -> Samples:
    """Every sample of /metrics, fetched with the monitor's token, by (name, labels)."""
    r = api.client.get("/metrics", headers=api.headers("monitor"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def receipt(quantity: int, **fields: str) -> dict:
    return {"location_id": CASABLANCA, "item_id": BASKETS, "quantity": quantity} | fields


def transfer(source: str, to: str, quantity: int) -> dict:
    lines = [{"item_id": BASKETS, "quantity": quantity}]
    return {"from_location_id": source, "to_location_id": to, "lines": lines}


def _a_morning_at_casablanca(api: ApiHarness) -> None:
    """140 baskets received (one receipt sent twice), then a 422, a 409 and a 404."""
    for quantity, lot in ((60, "RB-C"), (80, "RB-D")):
        r = api.post("operator", RECEIPTS, receipt(quantity, id=f"rcpt-{lot.lower()}", lot=lot))
        assert r.status_code == 201, r.text
    again = api.post("operator", RECEIPTS, receipt(60, id="rcpt-rb-c", lot="RB-C"))
    assert again.status_code == 200, again.text
    same_place = api.post("operator", "/v1/stock/transfers", transfer(CASABLANCA, CASABLANCA, 9))
    assert same_place.status_code == 422, same_place.text
    too_many = api.post("operator", "/v1/stock/transfers", transfer(CASABLANCA, SITE, 141))
    assert too_many.status_code == 409, too_many.text
    arrived = {"lines": [{"item_id": BASKETS, "quantity": 10}]}
    never_sent = api.post("admin", "/v1/stock/transfers/tr-never-sent/receipt", arrived)
    assert never_sent.status_code == 404, never_sent.text


def test_requests_are_timed_by_route_template_and_status(api: ApiHarness) -> None:
    _a_morning_at_casablanca(api)

    samples = scrape(api)

    def count(route: str, status: str) -> float | None:
        labels = {"method": "POST", "route": route, "status": status}
        return value(samples, "aid_http_request_duration_seconds_count", **labels)

    assert count(RECEIPTS, "201") == 2
    assert count(RECEIPTS, "200") == 1
    assert count("/v1/stock/transfers", "422") == 1
    assert count("/v1/stock/transfers", "409") == 1
    labels = {"method": "POST", "route": RECEIPTS, "status": "201", "le": "+Inf"}
    assert value(samples, "aid_http_request_duration_seconds_bucket", **labels) == 2
    routes = {dict(labels)["route"] for _, labels in samples if "route" in dict(labels)}
    assert "/v1/stock/transfers/{transfer_id}/receipt" in routes
    assert not any("tr-never-sent" in route for route in routes)


def test_decisions_are_counted_by_outcome(api: ApiHarness) -> None:
    _a_morning_at_casablanca(api)

    samples = scrape(api)

    def decided(command: str, outcome: str, error: str = "") -> float | None:
        labels = {"command": command, "outcome": outcome, "error": error}
        return value(samples, DECISIONS, **labels)

    assert decided("ReceiveStock", "accepted") == 2
    assert decided("ReceiveStock", "replayed") == 1
    assert decided("DispatchTransfer", "refused", "insufficient_stock") == 1
    # The 422 of a transfer to its own source was the API's: it never reached a decider.
    outcomes = {dict(labels)["outcome"] for (name, labels) in samples if name == DECISIONS}
    assert outcomes == {"accepted", "replayed", "refused"}


def test_a_rejection_by_the_decider_is_counted_with_its_error(api: ApiHarness) -> None:
    for quantity, lot in ((60, "RB-C"), (80, "RB-D")):
        api.post("operator", RECEIPTS, receipt(quantity, lot=lot))
    count = {"location_id": CASABLANCA, "item_id": BASKETS, "counted_quantity": 140}

    assert api.post("operator", "/v1/stock/counts", count).status_code == 422

    labels = {"command": "CountStock", "outcome": "rejected", "error": "lot_required"}
    assert value(scrape(api), DECISIONS, **labels) == 1


def test_projection_progress_is_read_from_the_stored_positions(api: ApiHarness) -> None:
    api.post("operator", RECEIPTS, receipt(60, lot="RB-C"))
    api.project_published()  # inventory applies the receipt at offset 0 of partition 0
    # The database's answer must come within the scrape's deadline (Kafka's timeout): 0.3 s
    # was seen missed on a loaded machine, leaving the progress out (aid_database_up 0).
    kafka_unreachable(api, timeout=3.0)

    samples = scrape(api)

    for name in PROJECTIONS:
        assert value(samples, "aid_projection_events_applied", projection=name) is not None
    # The harness seeded 5 reference events and one user per role, at offsets 0, 1, 2…
    assert value(samples, "aid_projection_events_applied", projection="reference") == 5
    assert value(samples, "aid_projection_events_applied", projection="users") == len(ROLES)
    assert value(samples, "aid_projection_events_applied", projection="inventory") == 1
    assert value(samples, "aid_projection_events_applied", projection="relief") == 0
    assert value(samples, "aid_database_up") == 1
    assert value(samples, "aid_kafka_up") == 0
    assert not any(name == "aid_projection_lag_events" for name, _ in samples)


def test_lag_is_per_projection_and_partition_when_kafka_answers(api: ApiHarness) -> None:
    settings = api.settings  # topics are aid.<stream>
    stored = {("inventory", "aid.stock", 0): 6, ("reference", "aid.reference", 1): 4}
    ends = {("aid.stock", 0): 10, ("aid.stock", 1): 3, ("aid.reference", 1): 5}

    gauges = {f.name: f.samples for f in families(settings, stored, ends)}

    lags = {tuple(s.labels.values()): s.value for s in gauges["aid_projection_lag_events"]}
    assert lags == {
        ("inventory", "aid.stock", "0"): 3,  # offsets 7, 8, 9 not applied yet
        ("inventory", "aid.stock", "1"): 3,  # nothing applied from partition 1
        ("reference", "aid.reference", "1"): 0,
        ("registry", "aid.reference", "1"): 5,  # the registry counts coverage from campaigns
        ("history", "aid.reference", "1"): 5,  # the auditor's history reads every stream
        ("history", "aid.stock", "0"): 10,
        ("history", "aid.stock", "1"): 3,
    }
    assert [s.value for s in gauges["aid_kafka_up"]] == [1]


def test_an_unreachable_database_is_answered_503_in_words(api: ApiHarness, tmp_path: Path) -> None:
    # The monitor's token cannot be checked without the database: the scrape fails loudly.
    api.app.state.services.engine = create_engine(f"sqlite:///{tmp_path}/no-such-dir/rm.db")

    scraped = api.client.get("/metrics", headers=api.headers("monitor"))
    health = api.client.get("/healthz")

    assert scraped.status_code == 503
    assert "database is unreachable" in scraped.json()["message"]
    assert (health.status_code, health.json()) == (503, {"status": "degraded"})


def test_the_scrape_answers_within_a_few_seconds_with_kafka_unreachable(
    api: ApiHarness,
) -> None:
    kafka_unreachable(api, timeout=3.0)  # the production default
    started = time.monotonic()

    samples = scrape(api)

    assert time.monotonic() - started < 5
    assert value(samples, "aid_kafka_up") == 0


def test_healthz_is_degraded_and_503_when_kafka_is_unreachable(api: ApiHarness) -> None:
    r = api.client.get("/healthz", headers=api.headers("monitor"))

    assert r.status_code == 503, r.text
    body = r.json()
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["kafka"].startswith("unreachable")
    assert set(body["projections"]) == set(PROJECTIONS)
    assert all(p["lag"] is None for p in body["projections"].values())


def test_two_apps_in_one_process_keep_their_own_metrics(api: ApiHarness, tmp_path: Path) -> None:
    api.post("operator", RECEIPTS, receipt(60, lot="RB-C"))

    with ApiHarness(tmp_path / "other") as other:
        kafka_unreachable(other, timeout=0.3)
        samples = scrape(other)

    labels = {"command": "ReceiveStock", "outcome": "accepted", "error": ""}
    assert value(samples, DECISIONS, **labels) is None
    assert value(scrape(api), DECISIONS, **labels) == 1


@pytest.mark.parametrize("role", ["operator", "agent", "donor", "auditor", "coordinator"])
def test_metrics_are_refused_to_strangers_and_to_roles_that_do_not_monitor(
    api: ApiHarness, role: str
) -> None:
    stranger = api.client.get("/metrics")
    user = api.client.get("/metrics", headers=api.headers(role))

    assert stranger.status_code == 401, stranger.text
    assert user.status_code == 403, user.text
    assert user.json()["permission"] == "operations.read"
    assert api.client.get("/metrics", headers=api.headers("admin")).status_code == 200


def test_healthz_tells_strangers_only_whether_it_serves(api: ApiHarness) -> None:
    stranger = api.client.get("/healthz")
    agent = api.client.get("/healthz", headers=api.headers("agent"))
    wrong = api.client.get("/healthz", headers={"Authorization": "Bearer aid_guess"})

    assert (stranger.status_code, stranger.json()) == (503, {"status": "degraded"})
    assert agent.json() == {"status": "degraded"}
    assert wrong.status_code == 401


def test_healthz_asks_kafka_at_most_once_per_cache_period(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(
        "services.runtime.health.end_offsets", lambda *_: asked.append("kafka") or {}
    )
    clock = [100.0]
    services = api.app.state.services
    services.health = CachedCheck(
        lambda: check(services.settings, services.engine), ttl=5, monotonic=lambda: clock[0]
    )

    for _ in range(20):
        assert api.client.get("/healthz").status_code == 200
    clock[0] += 5
    api.client.get("/healthz", headers=api.headers("monitor"))

    assert asked == ["kafka", "kafka"]
