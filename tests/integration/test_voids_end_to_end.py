"""Corrections on the real broker: a wrong receipt voided, a distribution voided (the site
gets its basket back through the worker's policy, the household is served again), the
campaign moved to another region (coverage counts its eligible households again), a transfer
cancelled, a campaign extended then closed with a late offline record kept and flagged,
flagged duplicates resolved, and a rebuild of every read model equals the live ones."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import System
from tests.integration.test_distributions_end_to_end import CAMPAIGN, SITE, open_campaign, register
from tests.integration.test_rebuild_equals_live import rebuild_from_the_command_line
from tests.support.at_rest import wait_at_rest
from tests.support.processes import eventually
from tests.support.read_models import every_row

pytestmark = pytest.mark.kafka
BASKETS = "ramadan-basket"


def test_voids_correct_every_read_model_and_a_rebuild_gives_the_same_rows(
    system: System,
) -> None:
    admin = system.user("nadia-admin", "admin")
    open_campaign(system, admin)

    def post(path: str, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
        r = system.client.post(path, headers=admin, json=body)
        assert r.status_code == expect, r.text
        return dict(r.json())

    def on_hand() -> int:
        r = system.client.get("/v1/inventory", headers=admin, params={"location_id": SITE})
        assert r.status_code == 200, r.text
        return sum(row["on_hand"] for row in r.json()["items"] if row["item_id"] == BASKETS)

    receipt = {"location_id": SITE, "item_id": BASKETS, "lot": "RB-1"}
    post("/v1/stock/receipts", receipt | {"id": "rc-right", "quantity": 100})
    post("/v1/stock/receipts", receipt | {"id": "rc-typo", "quantity": 1000})
    post("/v1/stock/receipts/rc-typo/void", {"reason": "1000 typed for 100"})
    eventually(lambda: on_hand() == 100, what="the wrong receipt voided")

    household = register(system, admin, 7)
    basket = {"campaign_id": CAMPAIGN["id"], "household_id": household, "site_id": SITE,
              "quantity": 1}  # fmt: skip
    post("/v1/distributions", basket | {"id": "dist-wrong-card"})
    eventually(lambda: on_hand() == 99, what="the basket taken from the site")

    post("/v1/distributions/dist-wrong-card/void", {"reason": "handed on the wrong card"})
    eventually(lambda: on_hand() == 100, what="the basket back at the site")
    eligibility = system.client.get(
        f"/v1/households/{household}/eligibility",
        headers=admin,
        params={"campaign_id": CAMPAIGN["id"]},
    ).json()
    assert (eligibility["eligible"], eligibility["remaining"]) == (True, 1)
    again = post("/v1/distributions/dist-wrong-card/void", {"reason": "twice"}, expect=409)
    assert again["error"] == "already_voided"

    post("/v1/distributions", basket | {"id": "dist-right-card"})
    eventually(lambda: on_hand() == 99, what="the basket handed to the right household")
    coverage = system.client.get(f"/v1/campaigns/{CAMPAIGN['id']}/coverage", headers=admin)
    assert coverage.json()["reached_households"] == 1
    card = system.client.get(f"/v1/inventory/{SITE}/{BASKETS}/card", headers=admin).json()
    assert [(ln["kind"], ln["reference_id"], ln["quantity"], ln["voided"])
            for ln in card["items"]] == [
        ("StockReceived", "rc-right", 100, False),
        ("StockReceived", "rc-typo", 1000, True),
        ("StockReceiptVoided", "rc-typo", -1000, False),
        ("StockDistributed", "dist-wrong-card", -1, True),
        ("StockDistributionVoided", "dist-wrong-card", 1, False),
        ("StockDistributed", "dist-right-card", -1, False),
    ]  # fmt: skip

    def eligible() -> int:
        r = system.client.get(f"/v1/campaigns/{CAMPAIGN['id']}/coverage", headers=admin)
        return int(r.json()["eligible_households"])

    assert eligible() == 1
    post(f"/v1/campaigns/{CAMPAIGN['id']}/areas", {"region_codes": ["MA06"], "reason": "Anfa"})
    eventually(lambda: eligible() == 0, what="the household no longer targeted")

    lines = [{"item_id": BASKETS, "quantity": 20}]
    post("/v1/stock/transfers", {"id": "tr-called-back", "from_location_id": SITE,
                                 "to_location_id": "wh-marrakech", "lines": lines})  # fmt: skip
    eventually(lambda: on_hand() == 79, what="the transfer on its way")
    post("/v1/stock/transfers/tr-called-back/cancel", {"reason": "the truck broke down"})
    eventually(lambda: on_hand() == 99, what="the cancelled transfer back at the site")

    winter = {"id": "winter-2026", "name": "Hiver 2026", "item_id": BASKETS,
              "quantity_per_household": 1, "starts_on": "2026-01-01",
              "ends_on": "2026-06-30"}  # fmt: skip
    post("/v1/campaigns", winter)
    post("/v1/campaigns/winter-2026/extend", {"ends_on": "2026-09-30", "reason": "snow late"})
    post("/v1/campaigns/winter-2026/close", {"reason": "report filed"})  # closes on its end
    neighbour = register(system, admin, 8)
    warm = {"campaign_id": "winter-2026", "household_id": neighbour, "site_id": SITE,
            "quantity": 1}  # fmt: skip
    post("/v1/distributions", warm | {"id": "dist-extended", "occurred_at": "2026-09-15T10:00:00Z"})
    synced = post("/v1/distributions/batch", {"records": [
        warm | {"id": "dist-after-closing", "occurred_at": "2026-10-20T10:00:00Z"},
    ]}, expect=200)["results"]  # fmt: skip
    assert synced[0]["status"] == "duplicate" and "closed on 2026-09-30" in synced[0]["reason"]

    def flagged() -> list[tuple[str, str]]:
        r = system.client.get("/v1/distributions/duplicates", headers=admin,
                              params={"campaign_id": "winter-2026"})  # fmt: skip
        return [(d["distribution_id"], d["flag"]) for d in r.json()["items"]]

    eventually(lambda: flagged() == [("dist-after-closing", "campaign_closed")],
               what="the late record kept and flagged")  # fmt: skip
    eventually(lambda: on_hand() == 98, what="only the basket within the dates taken")

    wait_at_rest(system.settings, system.engine)
    live = every_row(system.engine)
    system.worker.stop()
    rebuild_from_the_command_line(system.settings, hash_seed=0)
    assert every_row(system.engine) == live


@pytest.mark.one_backend("sqlite")
def test_duplicates_resolved_on_the_broker_and_a_rebuild_gives_the_same_rows(
    system: System,
) -> None:
    """Two late records of a household served already: the one synced twice is voided
    (nothing moves), the other accepted as an exception (the worker's policy takes its
    basket from the site, dated when it was handed)."""
    admin = system.user("nadia-admin", "admin")
    open_campaign(system, admin)

    def post(path: str, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
        r = system.client.post(path, headers=admin, json=body)
        assert r.status_code == expect, r.text
        return dict(r.json())

    def on_hand() -> int:
        r = system.client.get("/v1/inventory", headers=admin, params={"location_id": SITE})
        return sum(row["on_hand"] for row in r.json()["items"] if row["item_id"] == BASKETS)

    post("/v1/stock/receipts", {"location_id": SITE, "item_id": BASKETS, "quantity": 10})
    household = register(system, admin, 11)
    basket = {"campaign_id": CAMPAIGN["id"], "household_id": household, "site_id": SITE,
              "quantity": 1}  # fmt: skip
    post("/v1/distributions", basket | {"id": "dist-first"})
    synced = post("/v1/distributions/batch", {"records": [
        basket | {"id": "dist-twice"}, basket | {"id": "dist-second-basket"},
    ]}, expect=200)  # fmt: skip
    assert [r["status"] for r in synced["results"]] == ["duplicate", "duplicate"]
    eventually(lambda: on_hand() == 9, what="the first basket taken from the site")

    post("/v1/distributions/duplicates/dist-twice/resolve",
         {"resolution": "void", "reason": "the same basket synced twice"})  # fmt: skip
    post("/v1/distributions/duplicates/dist-second-basket/resolve",
         {"resolution": "accept", "reason": "a family of eleven"})  # fmt: skip
    eventually(lambda: on_hand() == 8, what="the exception's basket taken from the site")

    def resolved() -> list[tuple[str, str]]:
        r = system.client.get(
            "/v1/distributions/duplicates",
            headers=admin,
            params={"resolved": "true"},
        )
        return sorted((d["distribution_id"], d["status"]) for d in r.json()["items"])

    eventually(lambda: resolved() == [("dist-second-basket", "exception"),
                                      ("dist-twice", "voided_duplicate")],
               what="the duplicates resolved in the registry")  # fmt: skip
    coverage = system.client.get(f"/v1/campaigns/{CAMPAIGN['id']}/coverage", headers=admin)
    assert (coverage.json()["reached_households"], coverage.json()["quantity"]) == (1, 2)
    again = post("/v1/distributions/duplicates/dist-twice/resolve",
                 {"resolution": "accept", "reason": "changed my mind"}, expect=409)  # fmt: skip
    assert again["error"] == "already_resolved"

    wait_at_rest(system.settings, system.engine)
    live = every_row(system.engine)
    system.worker.stop()
    rebuild_from_the_command_line(system.settings, hash_seed=0)
    assert every_row(system.engine) == live
