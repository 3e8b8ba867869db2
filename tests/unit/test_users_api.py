"""Users managed over the API: Amina, the admin, creates Salma, an operator in Casablanca,
moves her to Marrakech, resets her credentials and revokes her. The users' writer decides
(in process), the users projection applies what it records (SQLite), and the tokens the API
gives out are checked by the same authentication as every other request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api import deps
from api.auth import find_user
from events.stock import StockReceived
from events.users import UserCreated, UserPasswordReset, UserRevoked, UserScopesChanged
from services.app.kept_rows import USERS, KeptRows
from tests.support.api import SITE, USERNAMES, ApiHarness
from tests.support.fakes import FakeClock
from tests.unit.test_web_ui import sign_in

SALMA, CASABLANCA, MARRAKECH = "salma.operator", "wh-casablanca", "wh-marrakech"
PASSWORD, NEW_PASSWORD = "tajine-aux-pruneaux-2026", "pastilla-au-poulet-2026"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    """Baskets in Casablanca and flour in Marrakech; each write projected at once."""
    with ApiHarness(tmp_path, auto_project=True) as harness:
        harness.apply(
            StockReceived(receipt_id="r-casa", location_id=CASABLANCA, item_id="ramadan-basket",
                          quantity=120, lot="RB-1"),
            StockReceived(receipt_id="r-kech", location_id=MARRAKECH, item_id="flour-25kg",
                          quantity=40, lot="FL-1"),
        )  # fmt: skip
        yield harness


def create_salma(api: ApiHarness, **changes: Any) -> httpx.Response:
    body = {"username": SALMA, "role": "operator", "warehouses": [CASABLANCA],
            "password": PASSWORD} | changes  # fmt: skip
    return api.post("admin", "/v1/users", body)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def stock_seen(api: ApiHarness, token: str) -> set[str]:
    answer = api.client.get("/v1/inventory", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return {row["location_id"] for row in answer.json()["items"]}


def recorded(api: ApiHarness, kind: type) -> list[Any]:
    return [e for e in api.published("users") if e.type == kind.TYPE]


# ---- creating -----------------------------------------------------------------------------


def test_an_admin_creates_an_operator_whose_token_works_at_once_for_her_warehouse(
    api: ApiHarness,
) -> None:
    created = create_salma(api)

    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["username"], body["role"], body["warehouses"]) == (SALMA, "operator",
                                                                    [CASABLANCA])  # fmt: skip
    assert body["token"].startswith("aid_") and body["position"]
    assert stock_seen(api, body["token"]) == {CASABLANCA}
    [event] = recorded(api, UserCreated)
    assert (event.actor.user_id, event.actor.role) == (USERNAMES["admin"], "admin")
    assert event.data["token_hash"] and event.data["password_hash"].startswith("$argon2id$")


def test_an_admin_creates_a_social_worker_at_a_site_who_registers_households_but_sees_no_stock(
    api: ApiHarness,
) -> None:
    body = {"username": "nadia.social", "role": "social_worker", "sites": [SITE]}
    created = api.post("admin", "/v1/users", body)
    without_site = api.post("admin", "/v1/users", body | {"username": "hind.social", "sites": []})

    assert created.status_code == 201, created.text
    token = created.json()["token"]
    household = {"id": "hh-amizmiz-031", "national_id": "EE310045", "head_name": "Aicha Bouzid",
                 "size": 3, "region_code": "MA07"}  # fmt: skip
    registered = api.client.post("/v1/households", json=household, headers=bearer(token))
    assert registered.status_code == 201, registered.text
    refused = api.client.get("/v1/inventory", headers=bearer(token))
    assert (refused.status_code, refused.json()["permission"]) == (403, "stock.read")
    assert without_site.status_code == 422, without_site.text
    assert (without_site.json()["error"], without_site.json()["field"]) == (
        "scope_required", "sites",
    )  # fmt: skip


def test_the_token_is_shown_once_and_only_hashes_are_kept_or_listed(
    api: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        token = create_salma(api).json()["token"]

    listed = api.get("admin", "/v1/users")
    again = create_salma(api)

    assert listed.status_code == 200, listed.text
    [salma] = [u for u in listed.json()["items"] if u["username"] == SALMA]
    assert salma == {"username": SALMA, "role": "operator", "warehouses": [CASABLANCA],
                     "sites": [], "donors": [], "revoked": False, "has_password": True,
                     "created_at": salma["created_at"]}  # fmt: skip
    assert "hash" not in listed.text and token not in listed.text
    assert again.status_code == 409 and again.json()["error"] == "username_taken"
    assert token not in again.text and "token" not in again.json()
    assert all(token not in str(e.data) and PASSWORD not in str(e.data)
               for e in api.published())  # fmt: skip
    assert token not in caplog.text and PASSWORD not in caplog.text


def test_a_name_taken_on_the_command_line_is_taken_for_the_api_too(api: ApiHarness) -> None:
    answer = api.post("admin", "/v1/users", {"username": USERNAMES["auditor"], "role": "auditor"})

    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == "username_taken"
    assert recorded(api, UserCreated) == []


@pytest.mark.parametrize("role", ["coordinator", "operator", "auditor", "monitor"])
def test_only_an_admin_manages_users(api: ApiHarness, role: str) -> None:
    body = {"username": SALMA, "role": "operator", "warehouses": [CASABLANCA]}
    answers = [
        api.post(role, "/v1/users", body),
        api.get(role, "/v1/users"),
        api.post(role, f"/v1/users/{USERNAMES['agent']}/revoke", {}),
    ]

    for answer in answers:
        assert answer.status_code == 403, answer.text
        assert answer.json()["permission"] == "users.manage"
    assert api.published("users") == []


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"role": "coordinator"}, "warehouses", "scope_not_for_role"),
        ({"warehouses": []}, "warehouses", "scope_required"),
        ({"warehouses": ["wh-tanger"]}, "warehouses", "invalid_request"),
        ({"warehouses": [SITE]}, "warehouses", "invalid_request"),
        ({"role": "agent", "warehouses": [], "sites": [CASABLANCA]}, "sites", "invalid_request"),
        ({"role": "donor", "warehouses": [], "donors": ["donor-unknown"]}, "donors",
         "invalid_request"),
        ({"role": "superuser"}, "role", "invalid_request"),
        ({"password": "salma2026"}, "password", "weak_password"),
    ],
    ids=["coordinator-with-warehouse", "operator-without", "unknown-warehouse",
         "site-as-warehouse", "warehouse-as-site", "unknown-donor", "no-such-role",
         "weak-password"],
)  # fmt: skip
def test_a_user_the_rules_forbid_is_refused_in_words_naming_the_field(
    api: ApiHarness, changes: dict[str, Any], field: str, error: str
) -> None:
    answer = create_salma(api, **changes)

    assert answer.status_code == 422, answer.text
    assert (answer.json()["error"], answer.json()["field"]) == (error, field)
    assert "salma2026" not in answer.text
    assert recorded(api, UserCreated) == []


# ---- scopes ---------------------------------------------------------------------------------


def test_moved_to_marrakech_she_sees_marrakech_and_no_longer_casablanca(api: ApiHarness) -> None:
    token = create_salma(api).json()["token"]
    receipt = {"location_id": CASABLANCA, "item_id": "flour-25kg", "quantity": 5}

    moved = api.post("admin", f"/v1/users/{SALMA}/scopes", {"warehouses": [MARRAKECH]})

    assert moved.status_code == 201, moved.text
    assert stock_seen(api, token) == {MARRAKECH}
    refused = api.client.post("/v1/stock/receipts", json=receipt, headers=bearer(token))
    assert refused.status_code == 403 and CASABLANCA in refused.json()["message"]
    [event] = recorded(api, UserScopesChanged)
    assert event.data["warehouses"] == [MARRAKECH]
    assert event.actor.user_id == USERNAMES["admin"]


def test_the_same_scopes_again_record_nothing_and_answer_200(api: ApiHarness) -> None:
    create_salma(api)

    again = api.post("admin", f"/v1/users/{SALMA}/scopes", {"warehouses": [CASABLANCA]})

    assert again.status_code == 200, again.text
    assert recorded(api, UserScopesChanged) == []


def test_scopes_of_nobody_are_404_and_an_operator_keeps_a_warehouse(api: ApiHarness) -> None:
    create_salma(api)

    ghost = api.post("admin", "/v1/users/nobody.here/scopes", {"warehouses": [MARRAKECH]})
    emptied = api.post("admin", f"/v1/users/{SALMA}/scopes", {})

    assert ghost.status_code == 404 and ghost.json()["error"] == "unknown_user"
    assert emptied.status_code == 422, emptied.text
    assert (emptied.json()["error"], emptied.json()["field"]) == ("scope_required", "warehouses")


# ---- credentials ----------------------------------------------------------------------------


def test_a_new_token_refuses_the_old_one_and_ends_her_web_sessions(api: ApiHarness) -> None:
    old = create_salma(api).json()["token"]
    sign_in(api, "operator", username=SALMA, password=PASSWORD)
    assert api.client.get("/operator").status_code == 200

    reset = api.post("admin", f"/v1/users/{SALMA}/password", {})

    assert reset.status_code == 201, reset.text
    new = reset.json()["token"]
    assert new.startswith("aid_") and new != old
    assert api.client.get("/v1/inventory", headers=bearer(old)).status_code == 401
    assert stock_seen(api, new) == {CASABLANCA}
    assert api.client.get("/operator", follow_redirects=False).status_code == 303
    [event] = recorded(api, UserPasswordReset)
    assert event.data["password_hash"] is None and new not in str(event.data)


def test_a_new_password_alone_keeps_the_token_and_ends_the_old_password_and_its_sessions(
    api: ApiHarness,
) -> None:
    token = create_salma(api).json()["token"]
    sign_in(api, "operator", username=SALMA, password=PASSWORD)

    reset = api.post(
        "admin", f"/v1/users/{SALMA}/password", {"password": NEW_PASSWORD, "new_token": False}
    )

    assert reset.status_code == 201, reset.text
    assert reset.json()["token"] is None
    assert stock_seen(api, token) == {CASABLANCA}
    assert api.client.get("/operator", follow_redirects=False).status_code == 303
    form = api.client.get("/signin")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    old = api.client.post("/signin", data={"csrf": csrf, "username": SALMA, "password": PASSWORD})
    assert old.status_code == 401
    sign_in(api, "operator", username=SALMA, password=NEW_PASSWORD)
    assert NEW_PASSWORD not in str(recorded(api, UserPasswordReset)[0].data)


def test_a_reset_that_asks_for_nothing_new_is_422(api: ApiHarness) -> None:
    create_salma(api)

    answer = api.post("admin", f"/v1/users/{SALMA}/password", {"new_token": False})

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "password"
    assert recorded(api, UserPasswordReset) == []


# ---- revoking -------------------------------------------------------------------------------


def test_a_revoked_operator_is_refused_at_once_and_changes_no_more(api: ApiHarness) -> None:
    token = create_salma(api).json()["token"]

    revoked = api.post("admin", f"/v1/users/{SALMA}/revoke", {})
    again = api.post("admin", f"/v1/users/{SALMA}/revoke", {})
    moved = api.post("admin", f"/v1/users/{SALMA}/scopes", {"warehouses": [MARRAKECH]})

    assert revoked.status_code == 201, revoked.text
    assert api.client.get("/v1/inventory", headers=bearer(token)).status_code == 401
    assert again.status_code == 409 and again.json()["error"] == "user_revoked"
    assert moved.status_code == 409 and moved.json()["error"] == "user_revoked"
    listed = {u["username"]: u for u in api.get("admin", "/v1/users").json()["items"]}
    assert listed[SALMA]["revoked"] is True


def test_an_admin_cannot_revoke_themself(api: ApiHarness) -> None:
    answer = api.post("admin", f"/v1/users/{USERNAMES['admin']}/revoke", {})

    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == "cannot_revoke_self"
    assert api.get("admin", "/v1/users").status_code == 200


# ---- the user behind a token, kept a moment by the API process -------------------------------


@pytest.fixture
def clock(api: ApiHarness) -> FakeClock:
    """The users the API keeps for a second, on a clock the test moves."""
    clock = FakeClock()
    api.app.state.services.users = KeptRows(USERS, 1.0, clock=clock.monotonic)
    return clock


def test_a_token_is_read_once_while_its_user_is_kept(
    api: ApiHarness, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = create_salma(api).json()["token"]
    clock.advance(1.0)  # past the quiet second after this process's own write to users
    reads: list[str] = []

    def counted(engine: Any, token: str, pepper: str) -> Any:
        reads.append(token)
        return find_user(engine, token, pepper)

    monkeypatch.setattr(deps, "find_user", counted)
    for _ in range(3):
        assert stock_seen(api, token) == {CASABLANCA}
    assert len(reads) == 1
    clock.advance(1.0)
    assert stock_seen(api, token) == {CASABLANCA}
    assert len(reads) == 2


def test_a_kept_user_revoked_through_this_process_is_refused_at_once(
    api: ApiHarness, clock: FakeClock
) -> None:
    token = create_salma(api).json()["token"]
    clock.advance(1.0)
    assert stock_seen(api, token) == {CASABLANCA}  # kept from here

    assert api.post("admin", f"/v1/users/{SALMA}/revoke", {}).status_code == 201

    assert api.client.get("/v1/inventory", headers=bearer(token)).status_code == 401


def test_a_revocation_made_through_another_process_is_honoured_within_a_second(
    api: ApiHarness, clock: FakeClock
) -> None:
    token = create_salma(api).json()["token"]
    clock.advance(1.0)
    assert stock_seen(api, token) == {CASABLANCA}

    api.apply(UserRevoked(username=SALMA))  # projected here, written by another API process

    assert stock_seen(api, token) == {CASABLANCA}  # still kept
    clock.advance(1.0)
    assert api.client.get("/v1/inventory", headers=bearer(token)).status_code == 401


def test_no_moment_reads_the_user_for_every_request(api: ApiHarness) -> None:
    api.app.state.services.users = KeptRows(USERS, 0)
    token = create_salma(api).json()["token"]
    assert stock_seen(api, token) == {CASABLANCA}

    api.apply(UserRevoked(username=SALMA))

    assert api.client.get("/v1/inventory", headers=bearer(token)).status_code == 401
