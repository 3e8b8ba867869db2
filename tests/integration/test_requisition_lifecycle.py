"""A requisition's whole life on the real broker with the real worker: Al Haouz asks
Marrakech for baskets and flour, the coordinator approves fewer baskets, the worker is
killed with SIGKILL as soon as the approval is answered, and the approved lines still leave
Marrakech exactly once; received a little short, the requisition is closed short. A second
requisition asks for more than Marrakech still holds: its dispatch is refused and says what
was available. A rebuild of every read model from the log then gives the live rows."""

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
MARRAKECH, AMIZMIZ = "wh-marrakech", SITE[0]
BASKETS, FLOUR = "ramadan-basket", "flour-25kg"


@pytest.mark.one_backend("sqlite")
def test_an_approved_requisition_leaves_once_whatever_the_worker_and_closes_short(
    system: System,
) -> None:
    admin = system.user("leila-admin", "admin")
    coordinator = system.user("fatima-coordinator", "coordinator")
    agent = system.user("khadija-agent", "agent", sites=[AMIZMIZ])
    register_reference(system, admin)

    def post(who: dict[str, str], path: str, body: Any = None, expect: int = 200) -> Any:
        r = system.client.post(path, headers=who, json=body)
        assert r.status_code == expect, r.text
        return r.json()

    def get(path: str, **params: str) -> Any:
        r = system.client.get(path, headers=coordinator, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    for item, quantity in ((BASKETS, 100), (FLOUR, 40)):
        post(admin, "/v1/stock/receipts", {"id": f"rcpt-{item}", "location_id": MARRAKECH,
                                           "item_id": item, "quantity": quantity}, 201)  # fmt: skip

    def ask(rid: str, baskets: int, flour: int) -> None:
        post(agent, "/v1/requisitions", {
            "id": rid, "requesting_location_id": AMIZMIZ, "supplying_location_id": MARRAKECH,
            "lines": [{"item_id": BASKETS, "quantity": baskets},
                      {"item_id": FLOUR, "quantity": flour}],
            "needed_by": "2099-03-10",
        }, 201)  # fmt: skip

    def requisition(rid: str) -> Any:
        r = system.client.get(f"/v1/requisitions/{rid}", headers=coordinator)
        return r.json() if r.status_code == 200 else {"status": None}

    def status_is(rid: str, status: str) -> None:
        eventually(lambda: requisition(rid)["status"] == status,
                   what=f"{rid} {status}\n{system.worker.log_tail()}")  # fmt: skip

    ask("req-amizmiz-1", 60, 40)
    status_is("req-amizmiz-1", "raised")
    fewer = {"lines": [{"item_id": BASKETS, "quantity": 50}]}
    post(coordinator, "/v1/requisitions/req-amizmiz-1/approval", fewer)
    system.worker.kill9()  # between the approval and its dispatch, or just after
    system.worker.start()
    status_is("req-amizmiz-1", "dispatched")

    first = requisition("req-amizmiz-1")
    assert {ln["item_id"]: (ln["approved"], ln["dispatched"]) for ln in first["lines"]} == {
        BASKETS: (50, 50), FLOUR: (40, 40),
    }  # fmt: skip

    def on_hand(location: str) -> dict[str, int]:
        rows = get("/v1/inventory", location_id=location)["items"]
        return {r["item_id"]: r["on_hand"] for r in rows if r["on_hand"]}

    eventually(lambda: on_hand(MARRAKECH) == {BASKETS: 50}, what="one dispatch from Marrakech")
    [transfer] = [t for t in get("/v1/stock/transfers")["items"]
                  if t["requisition_id"] == "req-amizmiz-1"]  # fmt: skip
    assert transfer["id"] == first["transfer_id"]
    arrived = {"lines": [{"item_id": BASKETS, "quantity": 48}, {"item_id": FLOUR, "quantity": 40}]}
    post(admin, f"/v1/stock/transfers/{transfer['id']}/receipt", arrived, 201)
    status_is("req-amizmiz-1", "received")
    post(coordinator, "/v1/requisitions/req-amizmiz-1/closure", {"reason": "2 paniers abîmés"})
    status_is("req-amizmiz-1", "closed")

    ask("req-amizmiz-2", 80, 1)
    status_is("req-amizmiz-2", "raised")
    post(coordinator, "/v1/requisitions/req-amizmiz-2/approval", {})
    status_is("req-amizmiz-2", "dispatch_refused")
    refusal = requisition("req-amizmiz-2")["refusal"]
    assert (refusal["error"], refusal["requested"], refusal["available"]) == (
        "insufficient_stock", 80, 50,
    )  # fmt: skip
    eventually(lambda: on_hand(AMIZMIZ) == {BASKETS: 48, FLOUR: 40}, what="Amizmiz's stock")

    wait_at_rest(system.settings, system.engine)
    live = every_row(system.engine)
    system.worker.stop()
    rebuild_from_the_command_line(system.settings, hash_seed=0)
    assert every_row(system.engine) == live
