"""A distribution agent at Amizmiz: an online distribution, then two offline that sync when
the network returns (one of them a duplicate, flagged, not lost)."""

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


def test_an_agent_records_online_then_offline_and_the_queue_syncs(site: Site) -> None:
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
    assert check(page, "HA1001") == "Hors ligne"
    page.click("#record")
    assert page.inner_text("#pending") == "1"
    check(page, "HA1000")  # the same family again, from a device that cannot know
    page.click("#record")
    assert page.inner_text("#pending") == "2"
    reloaded = page.reload()  # the page itself comes from the service worker's cache
    assert reloaded is not None and reloaded.from_service_worker
    assert page.inner_text("#pending") == "2"
    assert page.inner_text("#net") == "Hors ligne"
    site.shot(page, "agent-offline")

    page.context.set_offline(False)
    expect(page.locator("#pending")).to_have_text("0")
    results = page.inner_text("#results")
    assert "HA1001" in results and "acceptée" in results
    assert "HA1000" in results and "doublon signalé" in results
    types = [env.type for env in site.api.published("distributions")]
    assert types.count("AidDistributed") == 2
    assert types.count("DuplicateDistributionFlagged") == 1
    site.shot(page, "agent")


def test_the_agent_page_in_arabic(site: Site) -> None:
    page = site.page("agent", "ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert check(page, "HA1001") == "مؤهلة"
    site.shot(page, "agent")
