"""Supply planning on the real broker with the real worker: the Ramadan campaign gives a
basket per household; 6 households are expected at Amizmiz, 4 at Chichaoua, 2 at
Imintanoute. The needs say what each site lacks; each site asks Marrakech (stocked by a
donation of Fondation Atlas) for it. The coordinator approves 5 of Amizmiz's 6 baskets by
transfer and Chichaoua's 4 by convoy within the earthquake operation, and rejects
Imintanoute's; the worker is killed with SIGKILL just after the approvals and still one
transfer, and one convoy, leave Marrakech. The convoy arrives one basket short and the
requisition is closed short. Then the needs, the requisitions, the months of stock, the
donation's trace and the donor's page (its figures, as the donor reads them) read the same,
row for row and answer for answer, after a rebuild from the log."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.conftest import System
from tests.integration.test_rebuild_equals_live import rebuild_from_the_command_line
from tests.integration.test_receipts_end_to_end import SITE, register_reference
from tests.support.at_rest import wait_at_rest
from tests.support.processes import eventually
from tests.support.read_models import every_row

pytestmark = pytest.mark.kafka
MARRAKECH, AMIZMIZ = "wh-marrakech", SITE[0]
CHICHAOUA, IMINTANOUTE = "site-chichaoua", "site-imintanoute"
SITES = {AMIZMIZ: 6, CHICHAOUA: 4, IMINTANOUTE: 2}  # households expected at each
BASKETS = "ramadan-basket"
CAMPAIGN = {"id": "ramadan-2027", "name": "Ramadan 2027", "item_id": BASKETS,
            "quantity_per_household": 1, "starts_on": "2026-01-01",
            "ends_on": "2027-12-31"}  # fmt: skip
QUAKE, GIFT = "seisme-al-haouz", "don-atlas-1"
NEEDS = f"/v1/campaigns/{CAMPAIGN['id']}/needs"


@pytest.mark.slow
@pytest.mark.one_backend("sqlite")
def test_needs_become_requisitions_carried_by_a_transfer_and_a_convoy_and_rebuild_the_same(
    system: System,
) -> None:
    admin = system.user("leila-admin", "admin")
    coordinator = system.user("fatima-coordinator", "coordinator")
    agent = system.user("khadija-agent", "agent", sites=list(SITES))
    register_reference(system, admin)

    def post(who: dict[str, str], path: str, body: Any = None, expect: int = 200) -> Any:
        r = system.client.post(path, headers=who, json=body)
        assert r.status_code == expect, r.text
        return r.json()

    def get(path: str, **params: str) -> Any:
        r = system.client.get(path, headers=coordinator, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    for site in (CHICHAOUA, IMINTANOUTE):
        post(admin, "/v1/locations", {"id": site, "name": site, "kind": "site",
                                      "region_code": "MA07", "region_name": "Marrakech-Safi"},
             201)  # fmt: skip
    post(admin, "/v1/donors", {"id": "fondation-atlas", "name": "Fondation Atlas"}, 201)
    atlas = system.user("atlas-donor", "donor", donors=["fondation-atlas"])
    quake = {"id": QUAKE, "name": "Séisme d'Al Haouz", "kind": "earthquake",
             "region_codes": ["MA07"]}  # fmt: skip
    post(coordinator, "/v1/operations", quake, 201)
    post(admin, "/v1/donations", {"id": GIFT, "donor_id": "fondation-atlas",
                                  "location_id": MARRAKECH, "item_id": BASKETS, "quantity": 20},
         201)  # fmt: skip
    post(admin, "/v1/campaigns", CAMPAIGN, 201)
    n = 0
    for site, count in SITES.items():
        for _ in range(count):
            n += 1
            post(admin, "/v1/households", {
                "id": f"hh-{n:05d}", "registry_number": f"RSU-{n:08d}",
                "head_name": f"Famille {n}", "size": 4, "region_code": "MA07",
                "province_code": "MA0701", "site_id": site,
            }, 201)  # fmt: skip

    def shortfalls() -> dict[str, tuple[int, int, int, int]]:
        return {s["site_id"]: (s["due"], s["on_hand"], s["in_transit"], s["short"])
                for s in get(NEEDS)["sites"]}  # fmt: skip

    def on_hand(location: str) -> dict[str, int]:
        rows = get("/v1/inventory", location_id=location)["items"]
        return {r["item_id"]: r["on_hand"] for r in rows if r["on_hand"]}

    expected = {site: (count, 0, 0, count) for site, count in SITES.items()}
    eventually(lambda: shortfalls() == expected, timeout=60,
               what=f"each site's shortfall\n{system.worker.log_tail()}")  # fmt: skip
    eventually(lambda: on_hand(MARRAKECH) == {BASKETS: 20}, what="the donation in Marrakech")

    def requisition(rid: str) -> Any:
        r = system.client.get(f"/v1/requisitions/{rid}", headers=coordinator)
        return r.json() if r.status_code == 200 else {"status": None}

    def status_is(rid: str, status: str) -> None:
        eventually(lambda: requisition(rid)["status"] == status, timeout=60,
                   what=f"{rid} {status}\n{system.worker.log_tail()}")  # fmt: skip

    for site, (_, _, _, short) in shortfalls().items():  # each site asks for its shortfall
        post(agent, "/v1/requisitions", {
            "id": f"req-{site}", "requesting_location_id": site,
            "supplying_location_id": MARRAKECH, "needed_by": "2099-03-10",
            "lines": [{"item_id": BASKETS, "quantity": short}],
        }, 201)  # fmt: skip
    for site in SITES:
        status_is(f"req-{site}", "raised")

    fewer = {"lines": [{"item_id": BASKETS, "quantity": 5}]}
    post(coordinator, f"/v1/requisitions/req-{AMIZMIZ}/approval", fewer)
    post(coordinator, f"/v1/requisitions/req-{CHICHAOUA}/approval", {"operation_id": QUAKE})
    system.worker.kill9()  # between the approvals and their transfer and convoy, or just after
    system.worker.start()
    status_is(f"req-{AMIZMIZ}", "dispatched")
    status_is(f"req-{CHICHAOUA}", "approved")
    post(coordinator, f"/v1/requisitions/req-{IMINTANOUTE}/rejection",
         {"reason": "couvert par la distribution de mars"})  # fmt: skip
    status_is(f"req-{IMINTANOUTE}", "rejected")

    def convoys() -> list[dict[str, Any]]:
        return list(get("/v1/deployments", operation_id=QUAKE)["items"])

    eventually(lambda: len(convoys()) == 1, timeout=60,
               what=f"the convoy planned\n{system.worker.log_tail()}")  # fmt: skip
    by_convoy = requisition(f"req-{CHICHAOUA}")
    [convoy] = convoys()
    assert (by_convoy["status"], by_convoy["operation_id"]) == ("approved", QUAKE)
    assert convoy["id"] == by_convoy["deployment_id"] == by_convoy["transfer_id"]
    assert (convoy["status"], convoy["from_location_id"], convoy["to_location_id"]) == (
        "planned", MARRAKECH, CHICHAOUA,
    )  # fmt: skip
    assert convoy["requisition_id"] == f"req-{CHICHAOUA}"
    assert requisition(f"req-{AMIZMIZ}")["deployment_id"] is None

    post(coordinator, f"/v1/deployments/{convoy['id']}/dispatch", {})
    status_is(f"req-{CHICHAOUA}", "dispatched")
    eventually(lambda: on_hand(MARRAKECH) == {BASKETS: 11}, what="one transfer, one convoy")

    def carried(rid: str) -> list[str]:
        transfers = get("/v1/stock/transfers", limit="500")["items"]
        return [t["id"] for t in transfers if t["requisition_id"] == rid]

    assert carried(f"req-{AMIZMIZ}") == [requisition(f"req-{AMIZMIZ}")["transfer_id"]]
    assert carried(f"req-{CHICHAOUA}") == [convoy["id"]]
    assert carried(f"req-{IMINTANOUTE}") == []
    assert len(convoys()) == 1

    transfer = requisition(f"req-{AMIZMIZ}")["transfer_id"]
    post(admin, f"/v1/stock/transfers/{transfer}/receipt",
         {"lines": [{"item_id": BASKETS, "quantity": 5}]}, 201)  # fmt: skip
    post(coordinator, f"/v1/deployments/{convoy['id']}/deliver",
         {"lines": [{"item_id": BASKETS, "quantity": 3}]})  # fmt: skip
    status_is(f"req-{AMIZMIZ}", "closed")
    status_is(f"req-{CHICHAOUA}", "received")
    post(coordinator, f"/v1/requisitions/req-{CHICHAOUA}/closure",
         {"reason": "un panier perdu sur la route de Chichaoua"})  # fmt: skip
    status_is(f"req-{CHICHAOUA}", "closed")

    def lines(rid: str) -> list[tuple[int, int, int, int]]:
        return [(ln["requested"], ln["approved"], ln["dispatched"], ln["received"])
                for ln in requisition(rid)["lines"]]  # fmt: skip

    assert lines(f"req-{AMIZMIZ}") == [(6, 5, 5, 5)]
    assert lines(f"req-{CHICHAOUA}") == [(4, 4, 4, 3)]
    assert lines(f"req-{IMINTANOUTE}") == [(2, 0, 0, 0)]
    settled = {AMIZMIZ: (6, 5, 0, 1), CHICHAOUA: (4, 3, 0, 1), IMINTANOUTE: (2, 0, 0, 2)}
    eventually(
        lambda: shortfalls() == settled, what=f"the needs after the deliveries {shortfalls()}"
    )

    def trace() -> Any:
        return get(f"/v1/donations/{GIFT}/trace")

    eventually(lambda: trace()["lost"] == 1, what="the basket lost on the road")
    found = trace()
    assert found["received"] == 20 and found["in_transit"] == 0
    assert {s["location_id"]: s["quantity"] for s in found["in_stock"]} == {
        MARRAKECH: 11, AMIZMIZ: 5, CHICHAOUA: 3,
    }  # fmt: skip
    months = {(m["location_id"], m["item_id"]): (m["on_hand"], m["used"])
              for m in get("/v1/inventory/months-of-stock", limit="500")["items"]}  # fmt: skip
    assert months[(MARRAKECH, BASKETS)] == (11, 9)

    browser = TestClient(system.client.app)  # the donor's own, signed in with its token
    form = browser.get("/signin").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf, form
    token = atlas["Authorization"].removeprefix("Bearer ")
    signed_in = browser.post("/signin", data={"csrf": csrf.group(1), "token": token},
                             follow_redirects=False)  # fmt: skip
    assert signed_in.status_code == 303, signed_in.text

    def donor_page() -> str:
        """The donor's page as it reads it: its main part (the session's CSRF token aside)."""
        r = browser.get("/donor")
        assert r.status_code == 200, r.text
        return r.text[r.text.index("<main") : r.text.index("</main>")]

    assert f"Don {GIFT}" in donor_page()

    def answers() -> dict[str, Any]:
        return {
            "needs": get(NEEDS),
            "requisitions": get("/v1/requisitions", limit="500"),
            "months": get("/v1/inventory/months-of-stock", limit="500"),
            "trace": trace(),
            "donor page": donor_page(),
        }

    eventually(lambda: convoys()[0]["status"] == "delivered", what="the convoy delivered")

    wait_at_rest(system.settings, system.engine)
    live, before = every_row(system.engine), answers()
    system.worker.stop()
    rebuild_from_the_command_line(system.settings, hash_seed=0)
    assert every_row(system.engine) == live
    assert answers() == before
