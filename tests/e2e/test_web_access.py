"""Typing URLs: a donor or an operator reaches neither another role's pages nor other data."""

from __future__ import annotations

import pytest

from tests.e2e.scenario import OTHER_DONATION, Site

pytestmark = pytest.mark.browser

DONOR_REFUSED = (
    "/operator", "/operator/receipt", "/agent", "/coordinator", "/coordinator/coverage",
    "/coordinator/reports/4w.csv", f"/donor?donation_id={OTHER_DONATION}",
)  # fmt: skip
OPERATOR_REFUSED = (
    "/agent", "/coordinator", "/coordinator/reports/stock.csv", "/donor",
    "/operator?location_id=wh-marrakech",
    "/operator/card?location_id=wh-marrakech&item_id=flour-25kg",
)  # fmt: skip


@pytest.mark.parametrize(
    ("role", "paths"), [("donor", DONOR_REFUSED), ("operator", OPERATOR_REFUSED)]
)
def test_typed_urls_of_other_roles_answer_403(
    site: Site, role: str, paths: tuple[str, ...]
) -> None:
    page = site.page(role)
    for path in paths:
        response = page.goto(site.url + path)
        assert response.status == 403, path
        assert "Accès refusé" in page.inner_text("h1"), path
    assert "Croissant" not in page.content()


def test_signed_out_pages_send_to_sign_in_and_a_forged_form_is_refused(site: Site) -> None:
    page = site.page("operator")
    page.click("text=Se déconnecter")
    assert "Vous êtes déconnecté" in page.inner_text("h1")
    page.goto(site.url + "/operator")
    assert "/signin?next=/operator" in page.url


def test_sign_in_and_a_receipt_work_from_the_keyboard_alone(site: Site) -> None:
    page = site.browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{site.url}/signin?next=/operator/receipt")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip"
    page.focus("#username")
    page.keyboard.type("youssef.operator")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.type("operator-mot-de-passe")
    page.keyboard.press("Enter")
    page.wait_for_url("**/operator/receipt")
    page.focus("#quantity")
    page.keyboard.type("15")
    page.keyboard.press("Enter")
    page.wait_for_url("**/operator?**")
    assert "Réception enregistrée." in page.inner_text(".notice")
    page.close()
