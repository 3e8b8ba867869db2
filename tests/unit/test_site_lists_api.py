"""Site lists over HTTP, as stories: households assigned to a distribution site, the list of
those a site expects in a campaign with their status (waiting, served, flagged), its CSV,
and the counts per site a coordinator follows.

The same app, clock and people as `test_households_api`: the Ramadan 2026 campaign covers
Marrakech-Safi (MA07); the agent is assigned to the Al Haouz site. A second site, at
Chichaoua, is registered here by the coordinator.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.support.api import SITE, ApiHarness
from tests.unit import test_households_api as households
from tests.unit.test_households_api import (
    FATIMA,
    KHADIJA,
    MOHAMED,
    RAMADAN,
    YOUSSEF,
    basket,
    error_of,
    leaks,
)

api = households.api  # the same app and campaign
CHICHAOUA = "site-chichaoua"
LIST = f"/v1/campaigns/{RAMADAN}/sites/{SITE}/households"


@pytest.fixture
def assigned(api: ApiHarness) -> ApiHarness:
    """Fatima and Mohamed expected at Al Haouz (registered by its agent), Khadija at
    Chichaoua (by the coordinator), Youssef of Casablanca at no site."""
    r = api.post("coordinator", "/v1/locations", {
        "id": CHICHAOUA, "name": "Point de distribution Chichaoua", "kind": "site",
        "region_code": "MA07", "region_name": "Marrakech-Safi", "province_code": "MA0706",
        "province_name": "Chichaoua",
    })  # fmt: skip
    assert r.status_code == 201, r.text
    api.project_published()
    assignments = [("agent", FATIMA, SITE), ("agent", MOHAMED, SITE),
                   ("coordinator", KHADIJA, CHICHAOUA), ("agent", YOUSSEF, None)]  # fmt: skip
    for who, person, site in assignments:
        r = api.post(who, "/v1/households", person.body(site_id=site))
        assert r.status_code == 201, r.text
        assert r.json()["site_id"] == site
    api.project_published()
    return api


def listed(api: ApiHarness, who: str = "agent", **params: Any) -> dict[str, Any]:
    r = api.get(who, LIST, params or None)
    assert r.status_code == 200, r.text
    return dict(r.json())


def statuses(api: ApiHarness, who: str = "agent") -> dict[str, str]:
    return {h["household_id"]: h["status"] for h in listed(api, who)["items"]}


def counts(api: ApiHarness, who: str = "coordinator") -> dict[str, tuple[int, ...]]:
    r = api.get(who, f"/v1/campaigns/{RAMADAN}/sites")
    assert r.status_code == 200, r.text
    return {
        s["site_id"]: (s["expected"], s["waiting"], s["served"], s["flagged"])
        for s in r.json()["items"]
    }


def test_a_site_expects_its_households_waiting_then_served_then_flagged(
    assigned: ApiHarness,
) -> None:
    assert statuses(assigned) == {FATIMA.household_id: "waiting", MOHAMED.household_id: "waiting"}

    handed = assigned.post("agent", "/v1/distributions", basket("d-1", FATIMA.household_id))
    assert handed.status_code == 201, handed.text
    assigned.project_published()
    [fatima, mohamed] = listed(assigned)["items"]

    assert (fatima["status"], fatima["served_site_id"]) == ("served", SITE)
    assert fatima["served_at"].startswith("2026-03-01T10:00:00")
    assert (mohamed["status"], mohamed["served_at"]) == ("waiting", None)

    late = basket("d-2", FATIMA.household_id, occurred_at="2026-02-28T16:00:00+01:00")
    synced = assigned.post("agent", "/v1/distributions/batch", {"records": [late]})
    assert synced.json()["results"][0]["status"] == "duplicate"
    assigned.project_published()

    assert statuses(assigned)[FATIMA.household_id] == "flagged"
    assert counts(assigned) == {SITE: (2, 1, 0, 1), CHICHAOUA: (1, 1, 0, 0)}


def test_a_list_pages_by_household_and_filters_by_status(assigned: ApiHarness) -> None:
    assigned.post("agent", "/v1/distributions", basket("d-1", MOHAMED.household_id))
    assigned.project_published()

    first = listed(assigned, limit=1)
    second = listed(assigned, limit=1, cursor=first["next"])

    assert [h["household_id"] for h in first["items"] + second["items"]] == [
        FATIMA.household_id, MOHAMED.household_id,
    ]  # fmt: skip
    assert second["next"] is None
    assert [h["household_id"] for h in listed(assigned, status="served")["items"]] == [
        MOHAMED.household_id
    ]
    assert [h["household_id"] for h in listed(assigned, status="waiting")["items"]] == [
        FATIMA.household_id
    ]
    error_of(assigned.get("agent", LIST, {"cursor": "not-a-cursor"}), 422, "invalid_cursor")


def test_the_campaign_rules_decide_who_is_expected(assigned: ApiHarness) -> None:
    opened = assigned.post("coordinator", "/v1/campaigns", {
        "id": "hiver-2026", "name": "Grand froid 2026", "item_id": "flour-25kg",
        "quantity_per_household": 1, "starts_on": "2026-02-01", "ends_on": "2026-03-31",
        "region_codes": ["MA07"], "groups": ["elderly"],
    })  # fmt: skip
    assert opened.status_code == 201, opened.text
    assigned.project_published()

    r = assigned.get("agent", f"/v1/campaigns/hiver-2026/sites/{SITE}/households")

    assert [h["household_id"] for h in r.json()["items"]] == [MOHAMED.household_id]


def test_a_household_moved_to_another_site_leaves_the_first_list(assigned: ApiHarness) -> None:
    moved = {"region_code": "MA07", "province_code": "MA0706", "size": 5,
             "groups": ["elderly"], "site_id": CHICHAOUA}  # fmt: skip
    r = assigned.client.put(
        f"/v1/households/{MOHAMED.household_id}/profile",
        json=moved,
        headers=assigned.headers("coordinator"),
    )
    assert r.status_code == 200, r.text
    assigned.project_published()

    assert statuses(assigned) == {FATIMA.household_id: "waiting"}
    assert counts(assigned) == {SITE: (1, 1, 0, 0), CHICHAOUA: (2, 2, 0, 0)}


def test_the_csv_names_nobody_and_holds_the_same_households(assigned: ApiHarness) -> None:
    assigned.post("agent", "/v1/distributions", basket("d-1", FATIMA.household_id))
    assigned.project_published()

    r = assigned.get("coordinator", f"{LIST}.csv")

    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:4] == ["Household", "Size", "Province code", "Status"]
    assert rows[1][0] == "#beneficiary+code"
    assert [(row[0], row[3]) for row in rows[2:]] == [
        (FATIMA.household_id, "served"), (MOHAMED.household_id, "waiting"),
    ]  # fmt: skip
    assert leaks(r.text) == [] and leaks(assigned.get("coordinator", LIST).text) == []


def test_an_agent_sees_only_the_lists_and_counts_of_their_own_sites(
    assigned: ApiHarness,
) -> None:
    other = assigned.get("agent", f"/v1/campaigns/{RAMADAN}/sites/{CHICHAOUA}/households")

    error_of(other, 403, "forbidden")
    assert counts(assigned, "agent") == {SITE: (2, 2, 0, 0)}
    error_of(assigned.get("donor", LIST), 403, "forbidden")
    error_of(assigned.get("operator", f"{LIST}.csv"), 403, "forbidden")
    error_of(assigned.get("coordinator", f"/v1/campaigns/{RAMADAN}/sites/wh-marrakech/households"),
             404, "unknown_site")  # fmt: skip
    error_of(assigned.get("coordinator", "/v1/campaigns/nope/sites"), 404, "unknown_campaign")


@pytest.mark.parametrize(
    ("who", "site", "status", "error"),
    [
        ("coordinator", "site-nowhere", 422, "invalid_request"),  # no such site
        ("coordinator", "wh-marrakech", 422, "invalid_request"),  # a warehouse, not a site
        ("agent", CHICHAOUA, 403, "forbidden"),  # a site of the region, not the agent's
    ],
)
def test_a_household_is_assigned_only_to_a_known_site_of_its_region(
    api: ApiHarness, who: str, site: str, status: int, error: str
) -> None:
    api.post("coordinator", "/v1/locations", {
        "id": CHICHAOUA, "name": "Chichaoua", "kind": "site", "region_code": "MA07",
        "region_name": "Marrakech-Safi",
    })  # fmt: skip
    api.project_published()

    body = error_of(api.post(who, "/v1/households", FATIMA.body(site_id=site)), status, error)

    assert leaks(body["message"]) == []
    assert api.published("households") == []


def test_a_site_of_another_region_is_refused_naming_both_regions(api: ApiHarness) -> None:
    r = api.post("coordinator", "/v1/households", YOUSSEF.body(site_id=SITE))

    body = error_of(r, 422, "invalid_request")
    assert "MA07" in body["message"] and "MA06" in body["message"]
