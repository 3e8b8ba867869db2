"""An agent at Amizmiz prints a household's card: issues it, sees its QR code and number,
replaces it when it is lost (card number 2), and prints the card alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import HOUSEHOLDS, Site

pytestmark = pytest.mark.browser
CIN = "HA1000"
HOUSEHOLD = HOUSEHOLDS[CIN]  # registered as "Famille 1"


def test_an_agent_issues_a_card_then_replaces_it(site: Site) -> None:
    page = site.page("agent")
    page.goto(f"{site.url}/ui/households/{HOUSEHOLD}/card")
    expect(page.locator("h1")).to_have_text("Carte du foyer")
    expect(page.locator(".household-card")).to_have_count(0)

    page.click("form button.primary:not(.danger)")
    expect(page.locator(".household-card svg")).to_be_visible()
    expect(page.locator(".card-number")).to_have_text("1")
    expect(page.locator(".card-household")).to_have_text(HOUSEHOLD)

    page.check("#confirm")
    page.click("form button.danger")
    expect(page.locator(".card-number")).to_have_text("2")
    expect(page.locator(".household-card svg")).to_be_visible()
    html = page.content()
    assert "Famille 1" not in html and CIN not in html
    [*_, card] = [e for e in site.api.published("households") if e.type == "HouseholdCardIssued"]
    assert (card.data["card_number"], card.data["household_id"]) == (2, HOUSEHOLD)
    expect(page.locator(".card-check")).to_have_text(card.data["check"])
    site.shot(page, "household-card")

    page.emulate_media(media="print")  # only the card is printed
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("form.no-print")).to_be_hidden()
    expect(page.locator(".household-card")).to_be_visible()
    box = page.locator(".household-card").bounding_box()
    assert box is not None and round(box["width"] / 96 * 25.4, 1) == 85.6  # CSS px to mm


def test_the_card_page_in_arabic(site: Site) -> None:
    page = site.page("agent", "ar")
    page.goto(f"{site.url}/ui/households/{HOUSEHOLD}/card")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    page.click("form button.primary:not(.danger)")
    expect(page.locator(".card-number")).to_have_text("1")
    expect(page.locator("h1")).to_have_text("بطاقة الأسرة")
    site.shot(page, "household-card")
