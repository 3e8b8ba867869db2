"""Amina, the admin, creates Salma, an operator for the Marrakech warehouse, from the users
page; Salma then signs in with the password she was given and sees Marrakech's stock only,
although Casablanca holds baskets too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.scenario import Site, ok
from tests.support.api import USERNAMES

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "couscous-du-vendredi-2026"
SALMA, SALMA_PASSWORD = "salma.operator", "harira-et-chebakia-2026"


def signed_in(site: Site, username: str, password: str) -> Any:
    """A new browser context, signed in with a username and password, in French."""
    context = site.browser.new_context(viewport={"width": 390, "height": 844}, locale="fr")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{site.url}/signin")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    return page


def test_an_operator_created_for_one_warehouse_signs_in_and_sees_only_it(site: Site) -> None:
    api = site.api
    api.create_user(USERNAMES["admin"], "admin", password=ADMIN_PASSWORD)
    ok(api.post("admin", "/v1/stock/receipts", {
        "location_id": "wh-casablanca", "item_id": "ramadan-basket", "quantity": 25,
    }))  # fmt: skip

    admin = signed_in(site, USERNAMES["admin"], ADMIN_PASSWORD)
    admin.goto(f"{site.url}/admin/users")
    admin.fill("#username", SALMA)
    admin.select_option("#role", "operator")
    admin.select_option("#warehouses", "wh-marrakech")
    admin.fill("#password", SALMA_PASSWORD)
    admin.click("form[action='/admin/users'] button.primary")

    assert "Utilisateur créé." in admin.inner_text(".notice")
    token = admin.inner_text("#issued-token")
    assert token.startswith("aid_")
    row = admin.get_by_role("row", name=SALMA)
    assert "Entrepôt Marrakech" in row.inner_text()
    site.shot(admin, "admin-users")
    admin.goto(f"{site.url}/admin/users")
    assert admin.locator("#issued-token").count() == 0  # shown once: not on the list again
    assert SALMA in admin.inner_text("table")

    salma = signed_in(site, SALMA, SALMA_PASSWORD)

    assert salma.url.endswith("/operator")
    offered = salma.eval_on_selector_all("#location_id option", "els => els.map(e => e.value)")
    assert offered == ["", "wh-marrakech"]
    stock = salma.inner_text("table")
    assert "Entrepôt Marrakech" in stock and "Entrepôt Casablanca" not in stock
    site.shot(salma, "operator-after-creation")
    headers = {"Authorization": f"Bearer {token}"}
    rows = api.client.get("/v1/inventory", headers=headers).json()["items"]
    assert {r["location_id"] for r in rows} == {"wh-marrakech"}
