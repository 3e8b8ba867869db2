"""Ramadan baskets on the real broker with the real worker.

Two donors' flour, sugar and oil are received at Marrakech; 500 baskets (10 kg flour, 4 kg
sugar, 2 l oil) are assembled in two batches, FEFO: the first takes all of the Fondation
Atlas's flour (it expires first), the second the Croissant-Rouge's; a convoy takes 300 baskets
to Amizmiz and 5 are lost on the road; 250 are handed to 250 households. Each donation's trace
matches the answer computed by hand below, in its own unit, and adds up to the gift; a rebuild
of every read model gives the live rows. Then 50 assemblies sent at once, asking together for
more than the flour allows, never overdraw it.

  batch PAN-1, 300 baskets: flour 3,000 (Atlas), sugar 1,200 (Atlas), oil 600 (Croissant)
  batch PAN-2, 200 baskets: flour 2,000 (Croissant), sugar 800 (Atlas), oil 400 (Croissant)
  convoy: 300 of PAN-1 (it expires first), 295 arrive; 250 handed out, all of PAN-1

  Atlas flour 3,000      handed 250 × 10 = 2,500  lost 5 × 10 = 50  in kits 450
  Atlas sugar 2,000      handed 250 × 4 = 1,000   lost 20            in kits 980
  Croissant flour 3,000  in stock 1,000 at Marrakech                 in kits 2,000
  Croissant oil 1,000    handed 250 × 2 = 500     lost 10            in kits 490
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.integration.conftest import System
from tests.integration.test_rebuild_equals_live import rebuild_from_the_command_line
from tests.integration.test_receipts_end_to_end import SITE, register_reference
from tests.support.at_rest import wait_at_rest
from tests.support.processes import eventually
from tests.support.read_models import every_row

pytestmark = pytest.mark.kafka
MARRAKECH, CASABLANCA, AMIZMIZ = "wh-marrakech", "wh-casablanca", SITE[0]
BASKET, FLOUR, SUGAR, OIL = "ramadan-basket", "flour-kg", "sugar-kg", "oil-l"
RECIPE = {FLOUR: 10, SUGAR: 4, OIL: 2}
ATLAS, CROISSANT = "fondation-atlas", "croissant-rouge"
GIFTS = {  # donation: donor, item, quantity, lot, expiry
    "don-atlas-farine": (ATLAS, FLOUR, 3000, "FL-ATL", "2097-01-31"),
    "don-atlas-sucre": (ATLAS, SUGAR, 2000, "SU-ATL", None),
    "don-crm-farine": (CROISSANT, FLOUR, 3000, "FL-CRM", "2097-03-31"),
    "don-crm-huile": (CROISSANT, OIL, 1000, "OIL-CRM", None),
}
HOUSEHOLDS = 250
# donation: (in stock outside kits by location, distributed, lost, in kits)
EXPECTED = {
    "don-atlas-farine": ({}, 2500, 50, 450),
    "don-atlas-sucre": ({}, 1000, 20, 980),
    "don-crm-farine": ({MARRAKECH: 1000}, 0, 0, 2000),
    "don-crm-huile": ({}, 500, 10, 490),
}


@pytest.mark.slow
@pytest.mark.one_backend("sqlite")
def test_two_donors_goods_followed_through_baskets_to_households(system: System) -> None:
    admin = system.user("amina-admin", "admin")
    coordinator = system.user("fatima-coordinator", "coordinator")
    register_reference(system, admin)

    def post(who: dict[str, str], path: str, body: Any = None, expect: int = 201) -> Any:
        r = system.client.post(path, headers=who, json=body)
        assert r.status_code == expect, r.text
        return r.json()

    def get(path: str, **params: str) -> Any:
        r = system.client.get(path, headers=admin, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    for item, unit in ((FLOUR, "kg"), (SUGAR, "kg"), (OIL, "l")):
        post(admin, "/v1/items", {"id": item, "name": item, "unit": unit, "weight_kg": "1"})
    components = [{"item_id": i, "quantity": q} for i, q in RECIPE.items()]
    post(coordinator, f"/v1/items/{BASKET}/composition", {"components": components})
    for donor, name in ((ATLAS, "Fondation Atlas"), (CROISSANT, "Croissant-Rouge")):
        post(admin, "/v1/donors", {"id": donor, "name": name})
    for gift, (donor, item, quantity, lot, expiry) in GIFTS.items():
        post(admin, "/v1/donations", {"id": gift, "donor_id": donor, "location_id": MARRAKECH,
             "item_id": item, "quantity": quantity, "lot": lot, "expires_on": expiry})  # fmt: skip
    for batch, kits in (("PAN-1", 300), ("PAN-2", 200)):
        assembly = {"id": f"asm-{batch.lower()}", "location_id": MARRAKECH,
                    "kit_item_id": BASKET, "quantity": kits, "lot": batch}  # fmt: skip
        post(admin, "/v1/stock/assemblies", assembly)

    quake = {"id": "op-ramadan", "name": "Ramadan Al Haouz", "kind": "food_insecurity",
             "region_codes": ["MA07"]}  # fmt: skip
    post(coordinator, "/v1/operations", quake)
    post(coordinator, "/v1/deployments", {
        "id": "convoy-paniers", "operation_id": "op-ramadan", "from_location_id": MARRAKECH,
        "to_location_id": AMIZMIZ, "lines": [{"item_id": BASKET, "quantity": 300}],
    })  # fmt: skip
    post(coordinator, "/v1/deployments/convoy-paniers/dispatch", expect=200)
    arrived = {"lines": [{"item_id": BASKET, "quantity": 295}]}
    post(coordinator, "/v1/deployments/convoy-paniers/deliver", arrived, expect=200)

    campaign = {"id": "ramadan-al-haouz", "name": "Ramadan Al Haouz", "item_id": BASKET,
                "quantity_per_household": 1, "starts_on": "2026-01-01",
                "ends_on": "2097-12-31", "region_codes": ["MA07"]}  # fmt: skip
    post(coordinator, "/v1/campaigns", campaign)
    for n in range(HOUSEHOLDS):
        post(admin, "/v1/households", {"id": f"hh-{n:04d}", "national_id": f"KB{700000 + n}",
             "head_name": f"Famille {n}", "size": 5, "region_code": "MA07"})  # fmt: skip
    records = [{"id": f"dist-{n:04d}", "campaign_id": "ramadan-al-haouz",
                "household_id": f"hh-{n:04d}", "site_id": AMIZMIZ, "quantity": 1}
               for n in range(HOUSEHOLDS)]  # fmt: skip
    synced = post(admin, "/v1/distributions/batch", {"records": records}, expect=200)
    assert {r["status"] for r in synced["results"]} == {"accepted"}, synced["results"][:3]

    def traced() -> dict[str, tuple[dict[str, int], int, int, int]]:
        found = {}
        for gift, (_, _, quantity, _, _) in GIFTS.items():
            t = get(f"/v1/donations/{gift}/trace")
            held = sum(at["quantity"] for at in t["in_stock"])  # kits' units there included
            parts = held + t["in_transit"] + t["distributed"]["quantity"]
            assert parts + t["lost"] == t["received"] == quantity, t
            in_kits_held = sum(at["in_kits"] for at in t["in_stock"])
            assert in_kits_held + t["in_kits_in_transit"] == t["in_kits"], t
            stocked = {at["location_id"]: at["quantity"] - at["in_kits"] for at in t["in_stock"]}
            stocked = {location: q for location, q in stocked.items() if q}  # outside kits
            found[gift] = (stocked, t["distributed"]["quantity"], t["lost"], t["in_kits"])
        return found

    eventually(lambda: traced() == EXPECTED, timeout=90,
               what=f"each donor's trace\n{system.worker.log_tail()}")  # fmt: skip
    flour = get("/v1/donations/don-atlas-farine/trace")
    assert flour["distributed"]["households"] == HOUSEHOLDS
    assert flour["through_kits"]["kits_handed"]["by_region"] == [
        {"region_code": "MA07", "quantity": HOUSEHOLDS, "households": HOUSEHOLDS}
    ]

    wait_at_rest(system.settings, system.engine)
    live = every_row(system.engine)
    system.worker.stop()
    rebuild_from_the_command_line(system.settings, hash_seed=0)
    assert every_row(system.engine) == live


def test_fifty_assemblies_at_once_never_overdraw_the_flour(system: System) -> None:
    """Flour for 30 baskets at Casablanca, 50 requests of one basket each sent at once: 30
    are assembled, 20 refused naming the flour, and no lot goes below zero."""
    admin = system.user("youssef-admin", "admin")
    register_reference(system, admin)

    def post(path: str, body: Any, expect: int = 201) -> Any:
        r = system.client.post(path, headers=admin, json=body)
        assert r.status_code == expect, r.text
        return r.json()

    post("/v1/items", {"id": FLOUR, "name": "Farine", "unit": "kg"})
    post(f"/v1/items/{BASKET}/composition", {"components": [{"item_id": FLOUR, "quantity": 10}]})
    for lot, quantity in (("FL-A", 120), ("FL-B", 180)):
        receipt = {"id": f"rc-{lot.lower()}", "location_id": CASABLANCA, "item_id": FLOUR,
                   "quantity": quantity, "lot": lot}  # fmt: skip
        post("/v1/stock/receipts", receipt)

    def assemble(n: int) -> Any:
        body = {"id": f"asm-{n:02d}", "location_id": CASABLANCA, "kit_item_id": BASKET,
                "quantity": 1}  # fmt: skip
        return system.client.post("/v1/stock/assemblies", headers=admin, json=body)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(assemble, range(50)))

    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 30 + [409] * 20, [a.text for a in answers if a.status_code >= 500]
    refused = next(a.json() for a in answers if a.status_code == 409)
    assert FLOUR in refused["message"], refused

    def lots() -> dict[tuple[str, str], int]:
        r = system.client.get("/v1/inventory", headers=admin, params={"location_id": CASABLANCA})
        return {(row["item_id"], row["lot"]): row["on_hand"] for row in r.json()["items"]}

    eventually(lambda: sum(q for (i, _), q in lots().items() if i == BASKET) == 30,
               what="thirty baskets in stock")  # fmt: skip
    flour = {lot: q for (item, lot), q in lots().items() if item == FLOUR}
    assert all(q == 0 for q in flour.values()), flour
