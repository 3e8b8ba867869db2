"""A campaign's needs over HTTP, as a story: the Ramadan campaign gives one basket per
household of Marrakech-Safi; Fatima and Mohamed are expected at Al Haouz, Khadija at
Chichaoua. Baskets sent from Marrakech and baskets handed out lower what Al Haouz lacks;
when the basket is a kit, Marrakech is told which components it lacks to assemble them."""

from __future__ import annotations

from typing import Any

from events.relief import DeploymentDispatched, DeploymentPlanned, PlannedLine
from tests.support.api import SITE, ApiHarness
from tests.unit import test_households_api as households
from tests.unit import test_site_lists_api as site_lists
from tests.unit.test_households_api import FATIMA, MORNING, RAMADAN, basket, error_of, leaks
from tests.unit.test_site_lists_api import CHICHAOUA

api, assigned = households.api, site_lists.assigned  # the same app, campaign and households
MARRAKECH, BASKETS = "wh-marrakech", "ramadan-basket"
NEEDS = f"/v1/campaigns/{RAMADAN}/needs"


def needs(api: ApiHarness, who: str = "coordinator", **params: Any) -> dict[str, Any]:
    r = api.get(who, NEEDS, params or None)
    assert r.status_code == 200, r.text
    return dict(r.json())


def ok(r: Any, status: int = 201) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def send_baskets(api: ApiHarness, quantity: int) -> None:
    body = {"id": "rcpt-baskets", "location_id": MARRAKECH, "item_id": BASKETS,
            "quantity": 50, "lot": "RB-1"}  # fmt: skip
    ok(api.post("admin", "/v1/stock/receipts", body))
    api.project_published()
    body = {"id": "tr-al-haouz", "from_location_id": MARRAKECH, "to_location_id": SITE,
            "lines": [{"item_id": BASKETS, "quantity": quantity}]}  # fmt: skip
    ok(api.post("admin", "/v1/stock/transfers", body))
    api.project_published()


def test_each_site_is_due_a_basket_per_household_it_expects(assigned: ApiHarness) -> None:
    found = needs(assigned)
    assert (found["item_id"], found["kit"], found["components"]) == (BASKETS, False, None)
    assert {s["site_id"]: (s["due"], s["short"]) for s in found["sites"]} == {
        SITE: (2, 2), CHICHAOUA: (1, 1),
    }  # fmt: skip
    provinces = {(p["region_code"], p["province_code"]): p["short"] for p in found["provinces"]}
    assert provinces == {("MA07", "MA0701"): 2, ("MA07", "MA0706"): 1}
    assert [(r["region_code"], r["due"], r["short"]) for r in found["regions"]] == [("MA07", 3, 3)]
    assert found["total"] == {"due": 3, "on_hand": 0, "in_transit": 0, "short": 3}


def test_baskets_on_their_way_then_handed_out_lower_what_the_site_lacks(
    assigned: ApiHarness,
) -> None:
    send_baskets(assigned, 1)
    al_haouz = {s["site_id"]: s for s in needs(assigned)["sites"]}[SITE]
    assert (al_haouz["due"], al_haouz["in_transit"], al_haouz["short"]) == (2, 1, 1)
    ok(assigned.post("agent", "/v1/distributions", basket("dist-001", FATIMA.household_id)))
    assigned.project_published()
    found = needs(assigned)
    al_haouz = {s["site_id"]: s for s in found["sites"]}[SITE]
    assert (al_haouz["due"], al_haouz["in_transit"], al_haouz["short"]) == (1, 1, 0)
    assert found["total"]["short"] == 1  # Khadija's basket at Chichaoua


def test_a_convoy_on_its_way_counts_until_it_is_delivered(assigned: ApiHarness) -> None:
    cargo = [PlannedLine(item_id=BASKETS, quantity=2), PlannedLine(item_id="flour-25kg",
                                                                   quantity=9)]  # fmt: skip
    assigned.apply(DeploymentPlanned(deployment_id="convoy-1", operation_id="op-1",
                                     from_location_id=MARRAKECH, to_location_id=CHICHAOUA,
                                     lines=cargo))  # fmt: skip
    chichaoua = {s["site_id"]: s for s in needs(assigned)["sites"]}[CHICHAOUA]
    assert (chichaoua["in_transit"], chichaoua["short"]) == (0, 1)  # planned, not on its way
    assigned.apply(DeploymentDispatched(deployment_id="convoy-1", dispatched=cargo,
                                        dispatched_at=MORNING))  # fmt: skip
    chichaoua = {s["site_id"]: s for s in needs(assigned)["sites"]}[CHICHAOUA]
    assert (chichaoua["due"], chichaoua["in_transit"], chichaoua["short"]) == (1, 2, 0)


def test_a_kit_basket_tells_marrakech_which_components_it_lacks(assigned: ApiHarness) -> None:
    for item in ("flour-kg", "oil-l"):
        ok(assigned.post("coordinator", "/v1/items", {"id": item, "name": item, "unit": "kg"}))
    assigned.project_published()
    recipe = [{"item_id": "flour-kg", "quantity": 10}, {"item_id": "oil-l", "quantity": 2}]
    ok(assigned.post("coordinator", f"/v1/items/{BASKETS}/composition", {"components": recipe}))
    body = {"id": "rcpt-flour", "location_id": MARRAKECH, "item_id": "flour-kg",
            "quantity": 25, "lot": "FL-1"}  # fmt: skip
    ok(assigned.post("admin", "/v1/stock/receipts", body))
    assigned.project_published()
    found = needs(assigned, supplying_location_id=MARRAKECH)
    # 3 kits short, none assembled: 30 kg of flour (25 held) and 6 l of oil (none)
    assert found["kit"] is True
    assert found["components"] == [
        {"item_id": "flour-kg", "needed": 30, "on_hand": 25, "short": 5},
        {"item_id": "oil-l", "needed": 6, "on_hand": 0, "short": 6},
    ]


def test_needs_answer_numbers_only_and_to_coordinators_auditors_and_admins(
    assigned: ApiHarness,
) -> None:
    r = assigned.get("auditor", NEEDS)
    assert r.status_code == 200, r.text
    assert r.json()["sites"] and leaks(r.text) == []
    assert assigned.get("agent", NEEDS).status_code == 403
    error_of(assigned.get("coordinator", "/v1/campaigns/nope/needs"), 404, "unknown_campaign")
    unknown = assigned.get("coordinator", NEEDS, {"supplying_location_id": "wh-nowhere"})
    assert unknown.status_code == 422


def test_a_convoy_dispatched_by_its_policy_counts_once_on_its_way(assigned: ApiHarness) -> None:
    body = {"id": "rcpt-baskets", "location_id": MARRAKECH, "item_id": BASKETS,
            "quantity": 50, "lot": "RB-1"}  # fmt: skip
    ok(assigned.post("admin", "/v1/stock/receipts", body))
    ok(assigned.post("coordinator", "/v1/operations", {
        "id": "op-1", "name": "Séisme", "kind": "earthquake", "region_codes": ["MA07"],
    }))  # fmt: skip
    assigned.project_published()
    ok(assigned.post("coordinator", "/v1/deployments", {
        "id": "convoy-1", "operation_id": "op-1", "from_location_id": MARRAKECH,
        "to_location_id": CHICHAOUA, "lines": [{"item_id": BASKETS, "quantity": 2}],
    }))  # fmt: skip
    assigned.project_published()

    ok(assigned.post("coordinator", "/v1/deployments/convoy-1/dispatch", None), 200)
    assigned.project_published()

    assert [e.type for e in assigned.published("stock")][-1] == "TransferDispatched"
    chichaoua = {s["site_id"]: s for s in needs(assigned)["sites"]}[CHICHAOUA]
    assert (chichaoua["due"], chichaoua["in_transit"], chichaoua["short"]) == (1, 2, 0)


def test_sites_short_of_the_campaigns_needs_are_alerts_until_covered(
    assigned: ApiHarness,
) -> None:
    def short() -> dict[str, tuple[int, int, int]]:
        r = assigned.get("coordinator", "/v1/alerts", {"kind": "campaign_needs"})
        assert r.status_code == 200, r.text
        return {
            a["location_id"]: (
                a["details"]["due"],
                a["details"]["in_transit"],
                a["details"]["short"],
            )
            for a in r.json()["items"]
            if a["item_id"] == BASKETS and a["details"]["campaign_id"] == RAMADAN
        }

    assert short() == {SITE: (2, 0, 2), CHICHAOUA: (1, 0, 1)}
    send_baskets(assigned, 2)  # all Al Haouz is due, on its way
    assert short() == {CHICHAOUA: (1, 0, 1)}
