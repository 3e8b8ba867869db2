"""The web UI without a browser: sessions, CSRF, cookie flags, forbidden pages, languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from starlette.requests import Request

from api.ui import session, web
from api.ui.forms import refusal_text
from api.ui.i18n import Translator
from events.households import CampaignOpened
from events.relief import OperationOpened
from services.app.errors import Conflict, Forbidden
from tests.support.api import ROLE_SCOPES, USERNAMES, ApiHarness

PASSWORD = "tajine-et-the-2026"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        for role in ("operator", "donor", "agent"):
            harness.create_user(
                USERNAMES[role], role, password=PASSWORD, **ROLE_SCOPES.get(role, {})
            )
        yield harness


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the form"
    return found.group(1)


def sign_in(api: ApiHarness, role: str, **credentials: str) -> None:
    form = api.client.get("/signin")
    fields = credentials or {"username": USERNAMES[role], "password": PASSWORD}
    answer = api.client.post(
        "/signin", data={"csrf": csrf_of(form.text), **fields}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


def test_the_session_cookie_is_http_only_strict_and_signed(api: ApiHarness) -> None:
    form = api.client.get("/signin")
    answer = api.client.post(
        "/signin",
        data={"csrf": csrf_of(form.text), "username": USERNAMES["operator"], "password": PASSWORD},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("aid_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http in tests; over https it is set
    assert answer.headers["location"] == "/"


def test_the_cookie_is_secure_over_https(api: ApiHarness) -> None:
    client = api.client
    form = client.get("https://testserver/signin")
    answer = client.post(
        "https://testserver/signin",
        data={"csrf": csrf_of(form.text), "username": USERNAMES["donor"], "password": PASSWORD},
        follow_redirects=False,
    )
    assert "Secure" in answer.headers["set-cookie"]


def test_a_wrong_password_is_refused_in_words(api: ApiHarness) -> None:
    form = api.client.get("/signin")
    answer = api.client.post(
        "/signin",
        data={"csrf": csrf_of(form.text), "username": USERNAMES["operator"], "password": "x"},
    )
    assert answer.status_code == 401
    assert "mot de passe ou jeton incorrect" in answer.text
    assert "aid_session" not in answer.headers.get("set-cookie", "")


def test_a_token_signs_in_too(api: ApiHarness) -> None:
    sign_in(api, "operator", token=api.tokens[USERNAMES["operator"]])
    assert api.client.get("/operator").status_code == 200


def test_a_form_without_its_csrf_token_is_refused(api: ApiHarness) -> None:
    sign_in(api, "operator")
    body = {"location_id": "wh-casablanca", "item_id": "flour-25kg", "quantity": "5"}
    for token in ("", "forged"):
        answer = api.client.post("/operator/receipt", data=body | {"csrf": token})
        assert answer.status_code == 403
    assert api.published("stock") == []


def test_the_sign_in_form_needs_its_csrf_token(api: ApiHarness) -> None:
    fields = {"username": USERNAMES["operator"], "password": PASSWORD}
    assert api.client.post("/signin", data=fields).status_code == 403


def test_json_posts_of_the_agent_page_need_the_csrf_header(api: ApiHarness) -> None:
    sign_in(api, "agent")
    asked = {"national_id": "HA1000", "campaign_id": "ramadan"}
    answer = api.client.post("/agent/lookup", json=asked, headers={"Accept": "application/json"})
    assert answer.status_code == 403


def test_a_revoked_user_s_session_stops_at_once(api: ApiHarness) -> None:
    sign_in(api, "operator")
    assert api.client.get("/operator").status_code == 200
    api.revoke_user(USERNAMES["operator"])
    answer = api.client.get("/operator", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/operator"


def test_a_signed_out_session_s_cookie_signs_nobody_in_even_copied(api: ApiHarness) -> None:
    sign_in(api, "operator")
    copied = api.client.cookies["aid_session"]
    page = api.client.get("/operator")
    assert page.status_code == 200
    assert api.client.post("/signout", data={"csrf": csrf_of(page.text)}).status_code == 200
    [ended] = api.published("users")
    assert ended.type == "SessionEnded" and ended.data["username"] == USERNAMES["operator"]
    assert copied not in str(ended.data)  # only a hash of the session's nonce is recorded

    api.client.cookies.set("aid_session", copied)  # the cookie, copied before sign-out
    answer = api.client.get("/operator", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/operator"
    sign_in(api, "operator")  # a new session works
    assert api.client.get("/operator").status_code == 200


def test_a_copied_cookie_is_refused_at_once_by_the_process_that_signed_it_out(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the sign-out is projected (the read models lag here for good), this process
    refuses the session already: a receipt posted with the copied cookie is not taken."""
    monkeypatch.setattr(session.queries, "session_ended", lambda engine, hashed: False)
    sign_in(api, "operator")
    copied = api.client.cookies["aid_session"]
    page = api.client.get("/operator")
    assert api.client.post("/signout", data={"csrf": csrf_of(page.text)}).status_code == 200

    api.client.cookies.set("aid_session", copied)
    answer = api.client.get("/operator", follow_redirects=False)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/operator"


def test_a_tampered_cookie_is_no_session(api: ApiHarness) -> None:
    sign_in(api, "donor")
    cookie = api.client.cookies["aid_session"]
    api.client.cookies.set("aid_session", cookie[:-2] + "xx")
    assert api.client.get("/donor", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("donor", "/operator"),
        ("donor", "/agent"),
        ("donor", "/coordinator"),
        ("donor", "/coordinator/reports/4w.csv"),
        ("operator", "/donor"),
        ("operator", "/coordinator/coverage"),
        ("operator", "/operator/card?location_id=wh-marrakech&item_id=flour-25kg"),
        ("agent", "/operator"),
    ],
)
def test_pages_of_other_roles_are_forbidden(api: ApiHarness, role: str, path: str) -> None:
    sign_in(api, role)
    answer = api.client.get(path)
    assert answer.status_code == 403
    assert "Accès refusé" in answer.text


@pytest.mark.parametrize(("role", "writes"), [("auditor", False), ("coordinator", True)])
def test_the_coordinator_s_pages_show_their_forms_only_to_roles_that_may_send_them(
    api: ApiHarness, role: str, writes: bool
) -> None:
    """An auditor reads the board and the coverage, and is shown no form it would send only
    to be refused (a 403 on submit)."""
    api.apply(
        OperationOpened(operation_id="op-seisme", name="Séisme", kind="earthquake"),
        CampaignOpened(campaign_id="hiver", name="Hiver", item_id="flour-25kg",
                       quantity_per_household=1, starts_on=date(2026, 1, 1),
                       ends_on=date(2026, 12, 31)),
    )  # fmt: skip
    api.create_user(USERNAMES[role], role, password=PASSWORD)
    sign_in(api, role)

    board = api.client.get("/coordinator?operation_id=op-seisme")
    coverage = api.client.get("/coordinator/coverage?campaign_id=hiver")
    form = api.client.get("/coordinator/new/campaign")

    assert (board.status_code, coverage.status_code) == (200, 200)
    assert ('action="/coordinator/operations/op-seisme/close"' in board.text) is writes
    assert ('action="/coordinator/campaigns/hiver/extend"' in coverage.text) is writes
    assert ('href="/coordinator/new/campaign"' in board.text) is writes
    assert form.status_code == (200 if writes else 403)


def test_pages_carry_security_headers_and_no_cache(api: ApiHarness) -> None:
    sign_in(api, "operator")
    answer = api.client.get("/operator")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"


def test_sign_in_never_redirects_off_site(api: ApiHarness) -> None:
    form = api.client.get("/signin")
    fields = {"username": USERNAMES["operator"], "password": PASSWORD, "next": "//evil.example"}
    answer = api.client.post(
        "/signin", data={"csrf": csrf_of(form.text), **fields}, follow_redirects=False
    )
    assert answer.headers["location"] == "/"


def test_the_language_is_french_by_default_and_arabic_is_right_to_left(api: ApiHarness) -> None:
    assert '<html lang="fr" dir="ltr">' in api.client.get("/signin").text
    api.client.get("/lang/ar?next=/signin")
    page = api.client.get("/signin").text
    assert '<html lang="ar" dir="rtl">' in page and "تسجيل الدخول" in page


def test_french_stays_the_default_whatever_the_browser_asks(api: ApiHarness) -> None:
    asked = api.client.get("/signin", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="fr" dir="ltr">' in asked.text
    api.client.get("/lang/en?next=/signin")
    assert '<html lang="en" dir="ltr">' in api.client.get("/signin").text


def test_numbers_and_dates_follow_the_language() -> None:
    assert Translator("fr").number(12500) == "12\u202f500"
    assert Translator("en").number(12500) == "12,500"
    assert Translator("fr").date("2026-03-01") == "1 mar. 2026"
    assert Translator("ar").month("2026-03") == "مارس 2026"


PUBLIC = {"/", "/signin", "/signout", "/lang/{code}", "/sw.js"}
SAMPLES = {"kind": "receipt", "transfer_id": "tr-1", "deployment_id": "convoy-1",
           "step": "dispatch", "name": "4w", "code": "fr", "campaign_id": "ramadan-2026",
           "location_id": "wh-casablanca", "username": "youssef.operator",
           "operation_id": "op-seisme", "distribution_id": "dist-1",
           "site_id": "site-al-haouz", "household_id": "hh-1",
           "requisition_id": "req-1", "change": "add"}  # fmt: skip


def web_routes(api: ApiHarness) -> list[tuple[str, str]]:
    from api.ui.web import PageRoute

    try:  # FastAPI ≥ 0.120 nests included routers; this flattens them again
        from fastapi.routing import iter_route_contexts

        routes: list[Any] = [c.original_route for c in iter_route_contexts(api.app.routes)]
    except ImportError:
        routes = list(api.app.routes)
    found = sorted(
        (method, route.path)
        for route in routes
        if isinstance(route, PageRoute)
        for method in route.methods
    )
    assert found, "no page route found"
    return found


def test_every_page_outside_the_donor_s_section_refuses_a_donor(api: ApiHarness) -> None:
    """Generated from the routes, so that a page added later cannot forget its section."""
    sign_in(api, "donor")
    token = csrf_of(api.client.get("/donor").text)
    for method, path in web_routes(api):
        if path in PUBLIC or path.startswith("/donor"):
            continue
        url = path.format(**SAMPLES)
        answer = api.client.request(method, url, data={"csrf": token} if method == "POST" else None)
        assert answer.status_code == 403, (method, path, answer.status_code)
    assert api.published() == []


@pytest.mark.parametrize(
    ("error", "shown"),
    [(Conflict("no checkpoint has been published yet", error="no_checkpoint"), True),
     (Forbidden("user 'x' is not assigned to location 'y'", permission="stock.write"), False)],
)  # fmt: skip
def test_an_error_page_says_why_a_request_was_refused(error: Exception, shown: bool) -> None:
    """A refusal's reason (409, 422) is on the page, in the page's language (the API's words
    when it has none); a 403 says only that the page is not the role's."""
    scope = {"type": "http", "method": "GET", "path": "/donor/proof/d-1", "headers": [],
             "query_string": b""}  # fmt: skip

    page = web.error_page(Request(scope), error)  # type: ignore[arg-type]

    said = str(escape(refusal_text(error, Translator("fr"))))  # type: ignore[arg-type]
    assert (said in bytes(page.body).decode()) is shown
    assert str(error) not in bytes(page.body).decode()


def test_a_page_asked_without_a_parameter_it_needs_answers_an_html_page_naming_it(
    api: ApiHarness,
) -> None:
    sign_in(api, "operator")

    page = api.client.get("/operator/card")
    asked_json = api.client.get("/operator/card", headers={"Accept": "application/json"})

    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "location_id" in page.text
    assert asked_json.status_code == 422 and asked_json.json()["field"] == "location_id"
