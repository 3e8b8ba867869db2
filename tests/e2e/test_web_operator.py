"""A warehouse operator in Casablanca works through the pages: receipt, refusal, transfer,
arrival with a shortfall, stock card."""

from __future__ import annotations

import pytest

from tests.e2e.scenario import INBOUND, Site, days_from_today

pytestmark = pytest.mark.browser


def test_an_operator_receives_dispatches_and_sees_a_refusal_in_plain_words(site: Site) -> None:
    page = site.page("operator")
    assert page.url.endswith("/operator")

    page.click("text=Réception")
    page.select_option("#item_id", "flour-25kg")
    page.fill("#quantity", "120")
    page.fill("#expires_on", days_from_today(30))
    page.click("button.primary")
    assert "Réception enregistrée." in page.inner_text(".notice")
    assert "120" in page.inner_text("table")

    page.click("nav.tabs >> text=Expédition de transfert")
    page.select_option("#to_location_id", "wh-marrakech")
    page.select_option("#item_id", "flour-25kg")
    page.fill("#quantity", "500")
    page.click("button.primary")
    refusal = page.inner_text("#err-quantity")
    assert refusal == "Stock insuffisant : 120 disponibles, 500 demandés."
    assert page.get_attribute("#quantity", "aria-invalid") == "true"

    page.fill("#quantity", "20")
    page.click("button.primary")
    assert "Transfert expédié." in page.inner_text(".notice")

    page.click("nav.tabs >> text=Réception de transfert")
    page.fill(f"[id='rcv-{INBOUND}-flour-25kg']", "28")
    page.click(f"form[action='/operator/arrivals/{INBOUND}'] button")
    assert "Arrivée enregistrée." in page.inner_text(".notice")

    page.goto(f"{site.url}/operator?location_id=wh-casablanca")
    assert "Écart de transfert" in page.inner_text(".alerts")
    site.shot(page, "operator-stock")
    page.get_by_role("link", name="Fiche de stock").first.click()
    card = page.inner_text("table")
    assert "Réception" in card and "Transfert expédié" in card and "Transfert reçu" in card
    site.shot(page, "operator-card")


def test_the_stock_page_in_arabic_reads_right_to_left(site: Site) -> None:
    page = site.page("operator", "ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert "المخزون" in page.inner_text("h1")
    site.shot(page, "operator-stock")
    page.goto(f"{site.url}/operator/receipt")
    page.fill("#quantity", "abc")
    page.click("button.primary")
    assert page.inner_text("#err-quantity") == "أدخل عدداً صحيحاً."
    site.shot(page, "operator-receipt")
