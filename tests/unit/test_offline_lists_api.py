"""The offline list over HTTP, as stories: what an agent's device keeps to check cards at a
site without a network. Each household the site expects appears by id, with a digest of its
current card's code (never the check value), what it is still due and whether it was served;
nothing names a person. Served to the agent page too, for the agent's own sites only.

The households and sites of `test_site_lists_api`: Fatima and Mohamed expected at Al Haouz,
Khadija at Chichaoua, Youssef at no site.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import httpx
import pytest

from services.app import offline_lists, reading
from tests.support.api import SITE, ApiHarness
from tests.unit import test_site_lists_api as site_lists
from tests.unit.test_households_api import FATIMA, KHADIJA, MOHAMED, RAMADAN, basket, leaks
from tests.unit.test_site_lists_api import CHICHAOUA
from tests.unit.test_web_ui import csrf_of

api, assigned = site_lists.api, site_lists.assigned  # the same app, households and sites
OFFLINE = f"/v1/campaigns/{RAMADAN}/sites/{SITE}/offline"
PASSWORD = "couscous-du-vendredi-2026"


def issued(api: ApiHarness, household_id: str) -> dict[str, Any]:
    r = api.post("agent", f"/v1/households/{household_id}/card", {})
    assert r.status_code == 201, r.text
    api.project_published()
    return dict(r.json())


def sha(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()[:32]


def offline(api: ApiHarness) -> tuple[dict[str, Any], str]:
    r = api.get("agent", OFFLINE)
    assert r.status_code == 200, r.text
    return dict(r.json()), r.text


def entries(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {h.pop("household_id"): h for h in body["items"]}


def signed_in_agent(api: ApiHarness, name: str, site: str) -> str:
    """A web session for an agent of `site`; the agent page's CSRF token."""
    api.create_user(name, "agent", password=PASSWORD, sites=[site])
    form = api.client.get("/signin")
    answer = api.client.post(
        "/signin",
        data={"csrf": csrf_of(form.text), "username": name, "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    found = re.search(r'data-csrf="([^"]+)"', api.client.get("/agent").text)
    assert found, "no CSRF token on the agent page"
    return found.group(1)


def page_list(api: ApiHarness, site: str) -> httpx.Response:
    params = {"campaign_id": RAMADAN, "site_id": site}
    return api.client.get("/agent/offline-list", params=params)


def test_the_list_holds_digests_of_card_codes_never_check_values_nor_a_person(
    assigned: ApiHarness,
) -> None:
    card = issued(assigned, FATIMA.household_id)

    body, text = offline(assigned)

    assert body["quantity_per_household"] == 1
    assert entries(body) == {
        FATIMA.household_id: {"card": sha(card["code"]), "remaining": 1, "served": False},
        MOHAMED.household_id: {"card": None, "remaining": 1, "served": False},
    }
    assert card["check"] not in text and card["code"] not in text
    assert leaks(text) == []


def test_a_replaced_card_s_digest_is_gone_and_the_new_one_is_listed(
    assigned: ApiHarness,
) -> None:
    lost = issued(assigned, FATIMA.household_id)
    replacing = issued(assigned, FATIMA.household_id)

    body, text = offline(assigned)

    assert entries(body)[FATIMA.household_id]["card"] == sha(replacing["code"])
    assert sha(lost["code"]) not in text


def test_a_served_household_is_marked_served_with_nothing_left_due(
    assigned: ApiHarness,
) -> None:
    handed = assigned.post("agent", "/v1/distributions", basket("d-1", FATIMA.household_id))
    assert handed.status_code == 201, handed.text
    assigned.project_published()

    listed = entries(offline(assigned)[0])

    assert listed[FATIMA.household_id] == {"card": None, "remaining": 0, "served": True}
    assert listed[MOHAMED.household_id]["served"] is False


def test_the_agent_page_serves_the_list_of_its_own_site_in_pages(assigned: ApiHarness) -> None:
    card = issued(assigned, MOHAMED.household_id)
    signed_in_agent(assigned, "agent-amizmiz-web", SITE)

    r = page_list(assigned, SITE)

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["quantity_per_household"] == 1 and body["next"] is None
    assert entries(body)[MOHAMED.household_id]["card"] == sha(card["code"])
    assert leaks(r.text) == []


def test_a_list_asked_after_a_sync_waits_for_what_the_sync_wrote(
    assigned: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's sync answers where each record was written; its next list asks after those
    positions and is read once the projections hold them, so Fatima, served a moment ago,
    does not read as waiting again on the device. The projections run only when that wait
    starts: a list read without waiting would find Fatima waiting."""
    csrf = signed_in_agent(assigned, "agent-amizmiz-sync", SITE)
    waited: list[list[str]] = []

    async def projected_when_waited(engine: Any, settings: Any, positions: Any) -> bool:
        waited.append([str(p) for p in positions])
        assigned.project_published()
        return await reading.wait_for_all(engine, settings, positions)

    monkeypatch.setattr(offline_lists, "wait_for_all", projected_when_waited)
    handed = basket("d-sync-1", FATIMA.household_id, occurred_at="2026-03-02T10:00:00Z")
    records = {"records": [handed]}
    synced = assigned.client.post("/agent/sync", json=records, headers={"X-CSRF-Token": csrf})
    assert synced.status_code == 200, synced.text
    position = synced.json()["results"][0]["position"]

    params = {"campaign_id": RAMADAN, "site_id": SITE, "after": [position]}
    listed = assigned.client.get("/agent/offline-list", params=params)

    assert listed.status_code == 200, listed.text
    assert waited == [[position]] and position.startswith("distributions:")
    assert entries(listed.json())[FATIMA.household_id] == {
        "card": None, "remaining": 0, "served": True,
    }  # fmt: skip
    again = assigned.client.post("/agent/sync", json=records, headers={"X-CSRF-Token": csrf})
    assert again.json()["results"][0]["position"] == position  # synced again: the same answer


def test_a_list_asked_after_a_position_that_is_not_one_is_a_422(assigned: ApiHarness) -> None:
    signed_in_agent(assigned, "agent-amizmiz-after", SITE)
    params = {"campaign_id": RAMADAN, "site_id": SITE, "after": ["Fatima Zahra"]}

    r = assigned.client.get("/agent/offline-list", params=params)

    assert r.status_code == 422 and r.json()["field"] == "after", r.text
    assert "Fatima" not in r.text


def test_a_list_asked_from_a_cursor_it_did_not_hand_out_is_a_422_as_every_list(
    assigned: ApiHarness,
) -> None:
    signed_in_agent(assigned, "agent-amizmiz-cursor", SITE)
    params = {"campaign_id": RAMADAN, "site_id": SITE, "cursor": "garbage"}

    r = assigned.client.get("/agent/offline-list", params=params)

    assert r.status_code == 422, r.text
    assert (r.json()["error"], r.json()["field"]) == ("invalid_cursor", "cursor")


def test_an_agent_of_another_site_gets_403_for_this_one(assigned: ApiHarness) -> None:
    signed_in_agent(assigned, "agent-chichaoua", CHICHAOUA)

    refused = page_list(assigned, SITE)
    own = page_list(assigned, CHICHAOUA)
    other = assigned.get("agent", f"/v1/campaigns/{RAMADAN}/sites/{CHICHAOUA}/offline")

    assert refused.status_code == 403, refused.text
    assert FATIMA.household_id not in refused.text
    assert own.status_code == 200, own.text
    assert [h["household_id"] for h in own.json()["items"]] == [KHADIJA.household_id]
    assert other.status_code == 403, other.text


def test_the_agent_page_checks_a_card_online_and_refuses_a_replaced_one(
    assigned: ApiHarness,
) -> None:
    lost = issued(assigned, FATIMA.household_id)
    current = issued(assigned, FATIMA.household_id)
    csrf = signed_in_agent(assigned, "agent-amizmiz-web", SITE)

    def check(card: str) -> httpx.Response:
        asked = {"card": card, "campaign_id": RAMADAN}
        return assigned.client.post("/agent/card", json=asked, headers={"X-CSRF-Token": csrf})

    good, by_id, replaced = check(current["code"]), check(FATIMA.household_id), check(lost["code"])

    assert good.status_code == 200, good.text
    assert good.json() | {"text": "", "reason": ""} == {
        "found": True, "household_id": FATIMA.household_id, "eligible": True, "remaining": 1,
        "text": "", "reason": "",
    }  # fmt: skip
    assert by_id.json()["household_id"] == FATIMA.household_id
    assert replaced.status_code == 409 and replaced.json()["found"] is False
    assert leaks(good.text + replaced.text) == []
