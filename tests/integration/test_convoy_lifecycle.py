"""A convoy's whole life on the real broker with the real worker: three lines planned from
Marrakech to Amizmiz, dispatched, delivered short on one (a discrepancy recorded), closed;
then the earthquake operation is closed and a new convoy for it is refused. A rebuild of
every read model from the log then gives the live rows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import System
from tests.integration.test_rebuild_equals_live import rebuild_from_the_command_line
from tests.integration.test_receipts_end_to_end import SITE, register_reference
from tests.support.at_rest import wait_at_rest
from tests.support.processes import eventually
from tests.support.read_models import every_row

pytestmark = pytest.mark.kafka
QUAKE, CONVOY, MARRAKECH = "op-seisme-al-haouz", "convoy-amizmiz-1", "wh-marrakech"
AMIZMIZ = SITE[0]
CARGO = {"ramadan-basket": 300, "flour-25kg": 40, "blanket-wool": 120}
ARRIVED = CARGO | {"flour-25kg": 34}  # six sacks of flour lost on the road


@pytest.mark.one_backend("sqlite")
def test_a_convoy_of_three_lines_delivered_short_is_closed_then_its_operation(
    system: System,
) -> None:
    admin = system.user("leila-admin", "admin")
    coordinator = system.user("fatima-coordinator", "coordinator")
    register_reference(system, admin)

    def post(
        who: dict[str, str], path: str, body: Any = None, expect: int = 200, key: str = ""
    ) -> Any:
        keyed = who | ({"Idempotency-Key": key} if key else {})
        r = system.client.post(path, headers=keyed, json=body)
        assert r.status_code == expect, r.text
        return r.json()

    def get(path: str, **params: str) -> Any:
        r = system.client.get(path, headers=coordinator, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    post(admin, "/v1/items", {"id": "blanket-wool", "name": "Couverture", "unit": "piece"}, 201)
    for item in CARGO:
        post(admin, "/v1/stock/receipts", {"id": f"rcpt-{item}", "location_id": MARRAKECH,
                                           "item_id": item, "quantity": 500}, 201)  # fmt: skip
    quake = {"id": QUAKE, "name": "Séisme d'Al Haouz", "kind": "earthquake",
             "region_codes": ["MA07"]}  # fmt: skip
    post(coordinator, "/v1/operations", quake, 201)

    def plan(convoy: str, expect: int) -> Any:
        lines = [{"item_id": i, "quantity": q} for i, q in CARGO.items()]
        return post(coordinator, "/v1/deployments", {
            "id": convoy, "operation_id": QUAKE, "from_location_id": MARRAKECH,
            "to_location_id": AMIZMIZ, "lines": lines,
        }, expect)  # fmt: skip

    plan(CONVOY, 201)
    early = post(coordinator, f"/v1/deployments/{CONVOY}/close", expect=409)
    dispatched = post(coordinator, f"/v1/deployments/{CONVOY}/dispatch", key="dispatch-1")
    arrived = [{"item_id": i, "quantity": q} for i, q in ARRIVED.items()]
    delivered = post(
        coordinator, f"/v1/deployments/{CONVOY}/deliver", {"lines": arrived}, key="deliver-1"
    )
    closed = post(coordinator, f"/v1/deployments/{CONVOY}/close", {"reason": "six sacs perdus"})
    refused = post(coordinator, f"/v1/deployments/{CONVOY}/deliver", {"lines": arrived}, 409)
    # the same requests under their keys, after the convoy closed: their first answers
    assert post(coordinator, f"/v1/deployments/{CONVOY}/dispatch", key="dispatch-1") == dispatched
    assert post(
        coordinator, f"/v1/deployments/{CONVOY}/deliver", {"lines": arrived}, key="deliver-1"
    ) == delivered  # fmt: skip
    ended = post(coordinator, f"/v1/operations/{QUAKE}/close", {"reason": "relais"}, 201)
    too_late = plan("convoy-amizmiz-2", 409)

    assert early["error"] == "deployment_planned"
    assert [e["type"] for e in closed["events"]] == ["DeploymentClosed"]
    assert refused["error"] == "deployment_closed"
    assert [e["type"] for e in ended["events"]] == ["OperationClosed"]
    assert (too_late["error"], too_late["closed_on"]) == (
        "operation_closed", ended["events"][0]["data"]["closed_on"],
    )  # fmt: skip
    [convoy] = get("/v1/deployments", operation_id=QUAKE, after=closed["position"])["items"]
    assert convoy["id"] == CONVOY and convoy["status"] == "closed" and convoy["closed_at"]
    assert {ln["item_id"]: ln["quantity"] for ln in convoy["delivered"]} == ARRIVED
    [operation] = get("/v1/operations", after=ended["position"])["items"]
    assert (operation["status"], operation["closed_on"]) == (
        "closed", ended["events"][0]["data"]["closed_on"],
    )  # fmt: skip
    eventually(lambda: len(get("/v1/alerts", kind="transfer_discrepancy")["items"]) == 1,
               what=f"the shortfall's alert\n{system.worker.log_tail()}")  # fmt: skip
    [shortfall] = get("/v1/alerts", kind="transfer_discrepancy")["items"]
    assert (shortfall["location_id"], shortfall["item_id"]) == (AMIZMIZ, "flour-25kg")
    assert (shortfall["details"]["transfer_id"], shortfall["details"]["missing"]) == (CONVOY, 6)

    def on_hand() -> dict[str, int]:
        rows = get("/v1/inventory", location_id=AMIZMIZ)["items"]
        return {r["item_id"]: r["on_hand"] for r in rows}

    eventually(lambda: on_hand() == ARRIVED, what="what arrived in stock at Amizmiz")

    wait_at_rest(system.settings, system.engine)
    live = every_row(system.engine)
    system.worker.stop()
    rebuild_from_the_command_line(system.settings, hash_seed=0)
    assert every_row(system.engine) == live
