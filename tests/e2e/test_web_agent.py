"""A distribution agent at Amizmiz: an online distribution by national ID; offline, a national
ID cannot be checked nor recorded, and is never kept on the device (cards are checked
offline: see test_web_agent_offline_cards)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import Site

pytestmark = pytest.mark.browser


def check(page: object, national_id: str) -> str:
    page.fill("#national_id", national_id)  # type: ignore[attr-defined]
    page.click("#lookup button.primary")  # type: ignore[attr-defined]
    page.wait_for_selector("#verdict:not([hidden])")  # type: ignore[attr-defined]
    return str(page.inner_text("#verdict-word"))  # type: ignore[attr-defined]


def test_an_agent_records_online_by_national_id_which_offline_needs_the_network(site: Site) -> None:
    page = site.page("agent")
    assert page.url.endswith("/agent")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    assert check(page, "HA1000") == "ÉLIGIBLE"
    page.click("#record")
    page.wait_for_selector("#results li.accepted")
    assert check(page, "HA1000") == "NON ÉLIGIBLE"
    assert "déjà reçu toute sa dotation" in page.inner_text("#verdict-detail")
    assert check(page, "ZZ9999") == "Aucun ménage inscrit avec ce numéro."

    page.context.set_offline(True)
    assert check(page, "HA1001") == "Hors ligne"  # a national ID needs the network
    assert "besoin du réseau" in page.inner_text("#verdict-detail")
    assert page.is_disabled("#record")
    reloaded = page.reload()  # the page itself comes from the service worker's cache
    assert reloaded is not None and reloaded.from_service_worker
    assert page.inner_text("#pending") == "0"
    assert page.inner_text("#net") == "Hors ligne"
    site.shot(page, "agent-offline")

    page.context.set_offline(False)
    expect(page.locator("#net")).to_have_text("En ligne")
    stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert "HA1000" not in stored and "HA1001" not in stored
    types = [env.type for env in site.api.published("distributions")]
    assert types == ["AidDistributed"]
    site.shot(page, "agent")


def test_the_agent_page_in_arabic(site: Site) -> None:
    page = site.page("agent", "ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert check(page, "HA1001") == "مؤهلة"
    site.shot(page, "agent")
