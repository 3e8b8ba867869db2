"""An admin erases a household's personal data from the page: found by national ID without
the ID ever in a URL, confirmed by typing the household id, with a reason recorded in the
event; nobody else reaches the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import ApiHarness

PASSWORD = "tajine-et-the-2026"
HOUSEHOLD = {"id": "hh-amizmiz-001", "national_id": "BE123456", "head_name": "Fatima Benali",
             "size": 5, "region_code": "MA07", "province_code": "MA0701"}  # fmt: skip


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field"
    return found.group(1)


def _sign_in(api: ApiHarness, username: str, role: str) -> str:
    api.create_user(username, role, password=PASSWORD)
    page = api.client.get("/signin")
    signed = api.client.post(
        "/signin",
        data={"csrf": _csrf(page.text), "username": username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    return _csrf(api.client.get("/admin/erasure").text)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        assert harness.post("agent", "/v1/households", HOUSEHOLD).status_code == 201
        yield harness


def test_an_admin_finds_confirms_and_erases_with_a_reason(api: ApiHarness) -> None:
    token = _sign_in(api, "amina.admin", "admin")

    found = api.client.post("/admin/erasure/find", data={"csrf": token, "asked": "be-123456"})
    assert found.status_code == 200, found.text
    assert "hh-amizmiz-001" in found.text and "MA0701" in found.text
    assert "Fatima" not in found.text and "BE123456" not in found.text

    mistyped = api.client.post(
        "/admin/erasure",
        data={"csrf": token, "household_id": "hh-amizmiz-001", "reason": "person_asked",
              "confirm": "hh-amizmiz"},
    )  # fmt: skip
    no_reason = api.client.post(
        "/admin/erasure",
        data={"csrf": token, "household_id": "hh-amizmiz-001", "reason": "",
              "confirm": "hh-amizmiz-001"},
    )  # fmt: skip
    assert mistyped.status_code == 422
    assert "Saisissez l’identifiant du foyer exactement comme affiché." in mistyped.text
    assert no_reason.status_code == 422 and "Choisissez une valeur" in no_reason.text
    assert not [e for e in api.published("households") if e.type == "PersonalDataErased"]

    erased = api.client.post(
        "/admin/erasure",
        data={"csrf": token, "household_id": "hh-amizmiz-001", "reason": "person_asked",
              "confirm": "hh-amizmiz-001"},
    )  # fmt: skip
    assert erased.status_code == 200 and "Données personnelles effacées." in erased.text
    [event] = [e for e in api.published("households") if e.type == "PersonalDataErased"]
    assert event.data["reason"] == "person_asked"
    assert event.actor.user_id == "amina.admin"
    again = api.client.post("/admin/erasure/find", data={"csrf": token, "asked": "hh-amizmiz-001"})
    assert "déjà effacées" in again.text and "Effacer définitivement" not in again.text
    gone = api.client.post("/admin/erasure/find", data={"csrf": token, "asked": "BE123456"})
    assert gone.status_code == 404 and "Aucun foyer avec cet identifiant." in gone.text


def test_the_erasure_page_is_for_admins_only(api: ApiHarness) -> None:
    api.create_user("karim.coord", "coordinator", password=PASSWORD)
    page = api.client.get("/signin")
    api.client.post(
        "/signin", data={"csrf": _csrf(page.text), "username": "karim.coord", "password": PASSWORD}
    )
    assert api.client.get("/admin/erasure").status_code == 403
    assert 'href="/admin"' not in api.client.get("/coordinator").text


def test_the_api_records_the_reason_given(api: ApiHarness) -> None:
    path = "/v1/households/hh-amizmiz-001/personal-data"
    wrong = api.client.delete(f"{path}?reason=because", headers=api.headers("admin"))
    r = api.client.delete(f"{path}?reason=retention_ended", headers=api.headers("admin"))
    assert r.status_code == 200, r.text
    assert wrong.status_code == 422
    [event] = [e for e in api.published("households") if e.type == "PersonalDataErased"]
    assert event.data["reason"] == "retention_ended"
