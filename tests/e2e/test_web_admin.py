"""Amina, the administrator, at her desk in a browser: a new distribution site with its
coordinates (a mistyped latitude refused next to the field first), a threshold, and the
desk in Arabic; a coordinator finds it closed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.scenario import Site
from tests.support.api import USERNAMES

pytestmark = pytest.mark.browser


def admin_page(site: Site, lang: str = "fr") -> Any:
    """Amina signed in with her token (the scenario gives passwords to other roles only)."""
    context = site.browser.new_context(viewport={"width": 390, "height": 844}, locale=lang)
    context.add_cookies([{"name": "aid_lang", "value": lang, "url": site.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{site.url}/signin?next=/admin")
    page.fill("#token", site.api.tokens[USERNAMES["admin"]])
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    return page


def test_an_admin_registers_a_site_with_its_coordinates_and_sets_a_threshold(site: Site) -> None:
    page = admin_page(site)
    assert page.url.endswith("/admin/locations")
    page.click("text=Enregistrer un lieu")
    page.fill("#id", "site-tahannaout")
    page.fill("#name", "Point de distribution Tahannaout")
    page.select_option("#kind", "site")
    page.fill("#region_code", "MA07")
    page.fill("#region_name", "Marrakech-Safi")
    page.fill("#latitude", "313.547")
    page.fill("#longitude", "-7,9502")
    page.click("button.primary")
    assert page.inner_text("#err-latitude") == "90 au plus."

    page.fill("#latitude", "31.3547")
    page.click("button.primary")
    assert "Lieu enregistré." in page.inner_text(".notice")
    assert "31.3547, -7.9502" in page.inner_text("table")
    site.shot(page, "admin-locations")

    page.click("nav.tabs >> text=Seuils")
    page.click("text=Fixer un seuil de stock bas")
    page.select_option("#location_id", "wh-marrakech")
    page.select_option("#item_id", "ramadan-basket")
    page.fill("#minimum", "500")
    page.click("button.primary")
    assert "Seuil fixé." in page.inner_text(".notice")
    assert "Stock bas" in page.inner_text("table")  # 400 baskets in Marrakech, fewer than 500


def test_the_desk_in_arabic_and_closed_to_a_coordinator(site: Site) -> None:
    page = admin_page(site, "ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert "المواقع" in page.inner_text("nav.tabs")
    site.shot(page, "admin-locations")

    coordinator = site.page("coordinator")
    response = coordinator.goto(f"{site.url}/admin/locations")
    assert response.status == 403
    assert "Accès refusé" in coordinator.inner_text("h1")
