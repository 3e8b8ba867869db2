"""Salma, a social worker at Amizmiz, at the registration desk: she registers the Ait Brahim
household with its two members, finds it again by national ID (a page that never repeats
the ID she typed), records that a third child was born, sees the new situation, and prints
the household's card."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import Site

pytestmark = pytest.mark.browser

CIN, NAME = "JB771204", "Rachid Ait Brahim"


def test_a_social_worker_registers_finds_and_updates_a_household(site: Site) -> None:
    page = site.page("social_worker")
    assert page.url.endswith("/desk")
    assert page.locator("header nav a").all_inner_texts()[:1] == ["Inscription"]

    page.fill("#national_id", CIN)
    page.fill("#head_name", NAME)
    page.select_option("#region_code", "MA07")
    page.fill("#province_code", "MA0701")
    page.check("#group-children")
    page.select_option("#sex-0", "m")
    page.fill("#year_of_birth-0", "1961")
    page.select_option("#relation-0", "head")
    page.select_option("#sex-1", "f")
    page.fill("#year_of_birth-1", "2018")
    page.select_option("#relation-1", "child")
    page.click("#household-form button.primary")
    page.wait_for_load_state()
    assert "Ménage inscrit." in page.inner_text("main")
    household_id = page.inner_text("#household-title").removeprefix("Ménage ").strip()
    assert page.inner_text("#shown-size") == "2"
    card = page.get_attribute("#print-card", "href")
    assert card == f"/ui/households/{household_id}/card"

    page.goto(f"{site.url}/desk")
    page.fill("#find-national_id", CIN)
    page.click("#lookup button.primary")
    page.wait_for_load_state()
    assert page.url.endswith("/desk/lookup")  # posted: the ID is in no URL
    assert page.inner_text("#household-title") == f"Ménage {household_id}"
    assert CIN not in page.content() and NAME not in page.content()
    assert page.input_value("#size") == "2"

    page.select_option("#sex-0", "m")
    page.fill("#year_of_birth-0", "1961")
    page.select_option("#relation-0", "head")
    page.select_option("#sex-1", "f")
    page.fill("#year_of_birth-1", "2018")
    page.select_option("#relation-1", "child")
    page.select_option("#sex-2", "m")
    page.fill("#year_of_birth-2", "2026")
    page.select_option("#relation-2", "child")
    page.fill("#size", "")
    page.fill("#precarity_score", "61")
    page.click("#household-form button.primary")
    page.wait_for_load_state()
    assert "Situation mise à jour." in page.inner_text("main")
    assert (page.inner_text("#shown-size"), page.inner_text("#shown-score")) == ("3", "61")
    site.shot(page, "desk")

    page.goto(f"{site.url}/desk")
    page.fill("#find-household_id", household_id)
    page.click("#lookup button.primary")
    page.wait_for_load_state()
    assert page.inner_text("#shown-size") == "3"
    assert "Hommes" in page.inner_text("#counts")
    kept = site.api.get("coordinator", f"/v1/households/{household_id}").json()
    assert (kept["size"], kept["personal"]["head_name"]) == (3, NAME)

    page.click("#print-card")  # the card: issued here, its QR code naming nobody
    page.click("form button.primary:not(.danger)")
    expect(page.locator(".card-number")).to_have_text("1")
    expect(page.locator(".household-card svg")).to_be_visible()
    assert CIN not in page.content() and NAME not in page.content()
    code = site.api.get("coordinator", f"/v1/households/{household_id}/card").json()["code"]
    assert code.startswith(f"AID1:{household_id}:1:")
    for path in ("/operator", "/agent"):
        assert page.goto(site.url + path).status == 403


def test_the_desk_in_arabic(site: Site) -> None:
    page = site.page("social_worker", "ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.inner_text("h1") == "شباك تسجيل الأسر"
    page.fill("#find-national_id", "HA1000")  # registered by the scenario, in Al Haouz
    page.click("#lookup button.primary")
    page.wait_for_load_state()
    assert page.inner_text("#household-title") == "الأسرة hh-ait-ourir-001"
    site.shot(page, "desk")
