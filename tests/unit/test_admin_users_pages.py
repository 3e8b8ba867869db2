"""The admin's users pages without a browser: Amina creates Salma, an operator in Casablanca,
from the form and reads her token once; moves her to Marrakech, renews her credentials and
revokes her after a confirmation; refusals come back in words next to their field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from events.users import UserCreated, UserRevoked
from tests.support.api import USERNAMES, ApiHarness
from tests.unit.test_web_ui import PASSWORD, csrf_of, sign_in

SALMA, CASABLANCA, MARRAKECH = "salma.operator", "wh-casablanca", "wh-marrakech"
SALMA_PASSWORD = "harira-et-chebakia-2026"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    """Amina, the admin, signed in; everything the pages write projected at once."""
    with ApiHarness(tmp_path, auto_project=True) as harness:
        harness.create_user(USERNAMES["admin"], "admin", password=PASSWORD)
        harness.create_user(USERNAMES["coordinator"], "coordinator", password=PASSWORD)
        sign_in(harness, "admin")
        yield harness


def post(api: ApiHarness, path: str, form_at: str, **fields: str | list[str]) -> httpx.Response:
    """Post a page's form the way the browser does, with the CSRF token of the page."""
    csrf = csrf_of(api.client.get(form_at).text)
    return api.client.post(path, data={"csrf": csrf, **fields}, follow_redirects=False)


def create_salma(api: ApiHarness, **changes: str | list[str]) -> httpx.Response:
    fields: dict[str, str | list[str]] = {
        "username": SALMA,
        "role": "operator",
        "warehouses": [CASABLANCA],
        "password": SALMA_PASSWORD,
    }
    return post(api, "/admin/users", "/admin/users", **(fields | changes))  # fmt: skip


def shown_token(html: str) -> str:
    found = re.search(r'<code id="issued-token" class="token">(aid_[^<]+)</code>', html)
    assert found, "no token on the page"
    return found.group(1)


def inventory(api: ApiHarness, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return api.client.get("/v1/inventory", headers=headers).status_code


def test_a_user_created_from_the_form_is_listed_and_her_token_shown_this_once(
    api: ApiHarness,
) -> None:
    created = create_salma(api)

    assert created.status_code == 200, created.text
    assert "Utilisateur créé." in created.text
    token = shown_token(created.text)
    assert inventory(api, token) == 200
    listed = api.client.get("/admin/users").text
    assert 'href="/admin/users/salma.operator"' in listed and "Entrepôt Casablanca" in listed
    assert token not in listed and "argon2" not in listed and "issued-token" not in listed
    [event] = [e for e in api.published("users") if e.type == UserCreated.TYPE]
    assert event.actor.user_id == USERNAMES["admin"]


def test_the_form_offers_the_social_worker_role_and_creates_one_at_her_site(
    api: ApiHarness,
) -> None:
    form = api.client.get("/admin/users").text
    created = create_salma(api, username="nadia.social", role="social_worker", warehouses=[],
                           sites=["site-al-haouz"])  # fmt: skip

    assert '<option value="social_worker">travailleur social</option>' in form
    assert created.status_code == 200, created.text
    [event] = [e for e in api.published("users") if e.type == UserCreated.TYPE]
    assert (event.data["role"], event.data["sites"]) == ("social_worker", ["site-al-haouz"])
    headers = {"Authorization": f"Bearer {shown_token(created.text)}"}
    assert api.client.get("/v1/households/hh-nobody", headers=headers).status_code == 404


def test_she_signs_in_with_the_password_given_and_sees_only_her_warehouse(
    api: ApiHarness,
) -> None:
    create_salma(api)
    api.client.cookies.clear()

    sign_in(api, "operator", username=SALMA, password=SALMA_PASSWORD)
    page = api.client.get("/operator")

    assert page.status_code == 200, page.text
    chooser = page.text.split('<select id="location_id"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]+)"', chooser) == [CASABLANCA]
    assert api.client.get("/admin/users").status_code == 403


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"username": USERNAMES["operator"]}, "username", "Ce nom d&#39;utilisateur est déjà pris"),
        ({"password": "salma2026"}, "password", "Ce mot de passe est trop faible"),
        ({"role": "coordinator"}, "warehouses", "Ce rôle ne reçoit pas ce périmètre"),
        ({"warehouses": []}, "warehouses", "Choisissez-en au moins un pour ce rôle."),
        ({"username": "Salma Operator"}, "username", "Lettres minuscules, chiffres"),
    ],
    ids=["taken", "weak-password", "scope-not-for-role", "no-warehouse", "bad-username"],
)
def test_a_refusal_comes_back_in_words_next_to_its_field_and_nothing_is_recorded(
    api: ApiHarness, changes: dict[str, str | list[str]], field: str, words: str
) -> None:
    answer = create_salma(api, **changes)

    assert answer.status_code in (409, 422), answer.text
    error = re.search(rf'<p class="field-error" id="err-{field}">([^<]+)</p>', answer.text)
    assert error is not None, answer.text
    assert words in error.group(1)
    assert "salma2026" not in answer.text  # a refused password is never shown back
    assert [e for e in api.published("users") if e.type == UserCreated.TYPE] == []


def test_moved_to_marrakech_from_her_page(api: ApiHarness) -> None:
    token = shown_token(create_salma(api).text)
    at = f"/admin/users/{SALMA}"

    moved = post(api, f"{at}/scopes", at, warehouses=[MARRAKECH], form_id="move-salma-1")

    assert moved.status_code == 303, moved.text
    assert moved.headers["location"] == f"{at}?done=user_scopes"
    page = api.client.get(moved.headers["location"]).text
    assert "Périmètre modifié." in page
    assert re.search(rf'<option value="{MARRAKECH}" selected>', page)
    receipt = {"location_id": CASABLANCA, "item_id": "flour-25kg", "quantity": 5}
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.post("/v1/stock/receipts", json=receipt, headers=headers).status_code == 403


def test_new_credentials_show_a_new_token_once_and_the_old_one_stops(api: ApiHarness) -> None:
    old = shown_token(create_salma(api).text)
    at = f"/admin/users/{SALMA}"

    renewed = post(api, f"{at}/password", at, new_token="yes", form_id="reset-salma-1")

    assert renewed.status_code == 200, renewed.text
    assert "Identifiants renouvelés." in renewed.text
    new = shown_token(renewed.text)
    assert (inventory(api, old), inventory(api, new)) == (401, 200)
    assert "issued-token" not in api.client.get(at).text


def test_revoking_asks_first_then_stops_her_at_once(api: ApiHarness) -> None:
    token = shown_token(create_salma(api).text)
    at = f"/admin/users/{SALMA}"

    asked = api.client.get(f"{at}/revoke")

    assert asked.status_code == 200
    assert "Révoquer salma.operator ?" in asked.text and 'role="alertdialog"' in asked.text
    assert [e for e in api.published("users") if e.type == UserRevoked.TYPE] == []
    assert inventory(api, token) == 200

    revoked = post(api, f"{at}/revoke", f"{at}/revoke", form_id="revoke-salma-1")

    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/admin/users?done=user_revoked"
    listed = api.client.get(revoked.headers["location"]).text
    assert "Utilisateur révoqué." in listed and "révoqué</td>" in listed
    assert inventory(api, token) == 401
    assert "Changer le périmètre" not in api.client.get(at).text


def test_the_admin_s_own_page_offers_no_revocation(api: ApiHarness) -> None:
    own = api.client.get(f"/admin/users/{USERNAMES['admin']}").text

    assert "Vous ne pouvez pas vous révoquer vous-même" in own
    assert f'href="/admin/users/{USERNAMES["admin"]}/revoke"' not in own


def test_only_the_admin_sees_the_section_and_a_coordinator_is_refused(api: ApiHarness) -> None:
    assert 'href="/admin"' in api.client.get("/admin/users").text
    api.client.cookies.clear()
    sign_in(api, "coordinator")

    assert 'href="/admin"' not in api.client.get("/coordinator").text
    assert api.client.get("/admin/users").status_code == 403
    assert api.client.get(f"/admin/users/{USERNAMES['operator']}/revoke").status_code == 403


def test_an_unknown_user_s_page_is_a_404(api: ApiHarness) -> None:
    assert api.client.get("/admin/users/nobody.here").status_code == 404


def test_the_users_page_reads_right_to_left_in_arabic(api: ApiHarness) -> None:
    api.client.get("/lang/ar?next=/admin/users")

    page = api.client.get("/admin/users").text

    assert '<html lang="ar" dir="rtl">' in page
    assert "المستخدمون" in page and "مستخدم جديد" in page
