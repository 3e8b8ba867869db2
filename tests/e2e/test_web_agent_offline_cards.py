"""A distribution agent at Amizmiz checks cards without a network: the site's offline list,
downloaded while online, says ELIGIBLE or NOT ELIGIBLE; a basket recorded offline waits in
the queue by its card and the same card is refused on the device at once; back online, the
queue syncs and the site's list shows the household served. Nothing on the device names a
person, and signing out clears the lists."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import CAMPAIGN, HOUSEHOLDS, days_from_today, ok
from tests.e2e.scenario import Site as Running
from tests.support.api import SITE, USERNAMES
from tests.support.processes import eventually

pytestmark = pytest.mark.browser

AMINA = {"id": "hh-amizmiz-101", "national_id": "JB445120", "head_name": "Amina Ouhssain",
         "phone": "+212 662 118 204"}  # fmt: skip
BRAHIM = {"id": "hh-amizmiz-102", "national_id": "JB778031", "head_name": "Brahim Id Ali",
          "phone": "+212 670 993 415"}  # fmt: skip
PERSONAL = [
    *(p[k] for p in (AMINA, BRAHIM) for k in ("national_id", "head_name", "phone")),
    *HOUSEHOLDS,  # the scenario's own national IDs
    "Famille 1",
    "Famille 2",
]
QUEUE = f"aid.pending.{USERNAMES['agent']}"
STORAGE = """async () => {
  const found = Object.keys(localStorage).map((key) => key + "=" + localStorage.getItem(key));
  for (const db of await indexedDB.databases()) found.push("indexedDB:" + db.name);
  return found;
}"""


def expected_at_amizmiz(site: Running, person: dict[str, str], size: int = 4) -> str:
    """Registered for Amizmiz with a card; the card's code, as its QR code carries it."""
    ok(site.api.post("admin", "/v1/households", person | {
        "size": size, "region_code": "MA07", "province_code": "MA0701", "groups": ["children"],
        "site_id": SITE,
    }))  # fmt: skip
    return str(ok(site.api.post("admin", f"/v1/households/{person['id']}/card", {}))["code"])


def check_card(page: Any, code: str) -> tuple[str, str]:
    page.fill("#card", code)
    page.click("#by-card button.primary")
    page.wait_for_selector("#verdict:not([hidden])")
    return page.inner_text("#verdict-word"), page.inner_text("#verdict-detail")


def statuses(site: Running) -> dict[str, str]:
    r = site.api.get("coordinator", f"/v1/campaigns/{CAMPAIGN}/sites/{SITE}/households")
    return {h["household_id"]: h["status"] for h in ok(r)["items"]}


def test_an_agent_checks_cards_offline_and_the_site_list_shows_them_served(site: Running) -> None:
    amina, brahim = expected_at_amizmiz(site, AMINA), expected_at_amizmiz(site, BRAHIM)
    ok(site.api.post("agent", "/v1/distributions", {  # Brahim was served online, earlier
        "id": "d-brahim-1", "campaign_id": CAMPAIGN, "card": brahim, "site_id": SITE,
        "quantity": 1,
    }))  # fmt: skip
    page = site.page("agent")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    expect(page.locator("#list-status")).to_contain_text("2 ménages")

    page.context.set_offline(True)
    assert check_card(page, amina) == ("ÉLIGIBLE", "À remettre : 1")
    page.click("#record")
    assert page.inner_text("#pending") == "1"
    word, why = check_card(page, amina)
    assert word == "NON ÉLIGIBLE" and "déjà été servi" in why
    word, why = check_card(page, brahim)
    assert word == "NON ÉLIGIBLE" and "déjà été servi" in why
    word, why = check_card(page, brahim.rsplit(":", 1)[0] + ":AAAAAAAA")
    assert word == "NON ÉLIGIBLE" and "Carte inconnue" in why
    page.fill("#national_id", AMINA["national_id"])  # by national ID: online only
    page.click("#lookup button.primary")
    assert "besoin du réseau" in page.inner_text("#verdict-detail")
    assert page.is_disabled("#record")
    [queued] = json.loads(
        page.evaluate(f"localStorage.getItem('aid.pending.{USERNAMES['agent']}')")
    )
    assert queued["card"] == amina and "national_id" not in queued
    site.shot(page, "agent-offline-cards")
    cached = f"aid.offline.{USERNAMES['agent']}.{CAMPAIGN}.{SITE}"
    before = json.loads(page.evaluate(f"localStorage.getItem('{cached}')"))

    page.context.set_offline(False)
    expect(page.locator("#pending")).to_have_text("0")
    assert AMINA["id"] in page.inner_text("#results")
    assert statuses(site) == {AMINA["id"]: "served", BRAHIM["id"]: "served"}
    # the list fetched again after the sync (asked after the positions it answered) holds it
    eventually(
        lambda: (
            json.loads(page.evaluate(f"localStorage.getItem('{cached}')"))["fetched_at"]
            != before["fetched_at"]
        ),
        timeout=30,
        what="the offline list fetched again after the sync",
    )
    again = json.loads(page.evaluate(f"localStorage.getItem('{cached}')"))
    assert again["households"][AMINA["id"]] | {"card": None} == {
        "card": None, "remaining": 0, "served": True,
    }  # fmt: skip

    stored = page.evaluate(STORAGE)
    assert any(k.startswith("aid.offline.") for k in stored)
    assert [s for s in PERSONAL if any(s.lower() in k.lower() for k in stored)] == []

    waiting = [  # a basket not yet synced, and one queued by an older page with a national ID
        {"id": "r-1", "card": amina, "quantity": 1},
        {"id": "r-2", "national_id": AMINA["national_id"], "quantity": 1},
    ]
    page.evaluate("([key, records]) => localStorage.setItem(key, JSON.stringify(records))",
                  [QUEUE, waiting])  # fmt: skip
    page.click("form.signout button")
    page.wait_for_selector("#signed-out")
    page.wait_for_load_state()  # the heading is there before the script that clears has run
    after = page.evaluate(STORAGE)
    assert [k for k in after if k.startswith("aid.offline.")] == []
    assert json.loads(page.evaluate(f"localStorage.getItem('{QUEUE}')")) == waiting[:1]
    assert [s for s in PERSONAL if any(s.lower() in k.lower() for k in after)] == []


def test_a_larger_household_served_one_basket_of_its_two_is_still_due_one_offline(
    site: Running,
) -> None:
    larger = "ramadan-grandes-familles"
    ok(site.api.post("coordinator", "/v1/campaigns", {
        "id": larger, "name": "Ramadan grandes familles", "item_id": "ramadan-basket",
        "quantity_per_household": 1, "larger_households": {"min_size": 6, "quantity": 2},
        "starts_on": "2026-01-01", "ends_on": days_from_today(400), "region_codes": ["MA07"],
    }))  # fmt: skip
    amina = expected_at_amizmiz(site, AMINA, size=7)
    ok(site.api.post("agent", "/v1/distributions", {  # one basket of two, online, earlier
        "id": "d-amina-1", "campaign_id": larger, "card": amina, "site_id": SITE, "quantity": 1,
    }))  # fmt: skip
    page = site.page("agent")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.select_option("#campaign", larger)
    key = f"aid.offline.{USERNAMES['agent']}.{larger}.{SITE}"
    # polled from here: wait_for_function polls with the page's own eval, which the
    # page's Content-Security-Policy refuses whenever the first check finds nothing yet
    eventually(
        lambda: page.evaluate(f"localStorage.getItem({json.dumps(key)}) !== null"),
        timeout=30,
        what="the campaign's site list cached on the device",
    )

    page.context.set_offline(True)
    assert check_card(page, amina) == ("ÉLIGIBLE", "À remettre : 1")
    page.click("#record")
    word, why = check_card(page, amina)

    assert word == "NON ÉLIGIBLE" and "déjà été servi" in why
