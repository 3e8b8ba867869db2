"""The printable card page: an agent issues a household's card and replaces it, the page
shows the QR code, the card's number and the household's area and size, and nothing that
names a person: a lost card names nobody. Other roles and other regions are kept out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import ApiHarness

PASSWORD = "tajine-et-the-2026"
FATIMA = {"id": "hh-amizmiz-001", "national_id": "BE123456", "registry_number": "RSU-2024-000117",
          "head_name": "Fatima Zahra Benali", "phone": "+212 661 234 567", "size": 5,
          "region_code": "MA07", "province_code": "MA0701",
          "housing_notes": "one room, roof cracked"}  # fmt: skip
PERSONAL = ("Fatima", "Benali", "BE123456", "be123456", "RSU-2024-000117", "661 234 567", "roof")
PAGE = f"/ui/households/{FATIMA['id']}/card"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field"
    return found.group(1)


def _request_id(html: str) -> str:
    found = re.search(r'name="request_id" value="([^"]+)"', html)
    assert found, "no request id"
    return found.group(1)


def sign_in(api: ApiHarness, username: str, role: str, **scopes: list[str]) -> None:
    api.create_user(username, role, password=PASSWORD, **scopes)
    page = api.client.get("/signin")
    signed = api.client.post(
        "/signin",
        data={"csrf": _csrf(page.text), "username": username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        assert harness.post("agent", "/v1/households", FATIMA).status_code == 201
        yield harness


def issue(api: ApiHarness, html: str, **fields: str) -> object:
    data = {"csrf": _csrf(html), "request_id": _request_id(html)} | fields
    return api.client.post(PAGE, data=data)


def test_an_agent_issues_then_replaces_the_card_and_the_page_names_nobody(
    api: ApiHarness,
) -> None:
    sign_in(api, "salma.agent", "agent", sites=["site-al-haouz"])
    before = api.client.get(PAGE)
    assert before.status_code == 200, before.text
    assert "n’a pas encore de carte" in before.text and "<svg" not in before.text

    first = issue(api, before.text)
    assert first.status_code == 200, first.text  # after the redirect
    assert "<svg" in first.text and 'class="card-number">1<' in first.text
    assert "Marrakech-Safi" in first.text and "Al Haouz" in first.text
    unconfirmed = issue(api, first.text)
    assert unconfirmed.status_code == 422 and "Cochez la case" in unconfirmed.text
    second = issue(api, first.text, confirm="replace")
    assert 'class="card-number">2<' in second.text
    again = issue(api, first.text, confirm="replace")  # the same form sent twice: one card
    assert 'class="card-number">2<' in again.text

    cards = [e for e in api.published("households") if e.type == "HouseholdCardIssued"]
    assert [e.data["card_number"] for e in cards] == [1, 2]
    assert cards[-1].actor.user_id == "salma.agent"
    assert (
        f"AID1:{FATIMA['id']}:2:{cards[-1].data['check']}"
        == api.get("agent", f"/v1/households/{FATIMA['id']}/card").json()["code"]
    )
    for html in (before.text, first.text, second.text):
        assert [p for p in PERSONAL if p in html] == []


def test_the_qr_code_encodes_the_card_and_nothing_else() -> None:
    from api.ui.pages.cards import qr_svg

    svg = str(qr_svg("AID1:hh-amizmiz-001:2:K7M4Q9TX"))

    assert svg.lstrip().startswith(("<svg", "<?xml")) and "<path" in svg
    assert "script" not in svg and "style=" not in svg  # allowed by the page's CSP


def test_a_printed_card_page_is_refused_to_roles_without_households_read(
    api: ApiHarness,
) -> None:
    sign_in(api, "omar.auditor2", "auditor")

    r = api.client.get(PAGE)

    assert r.status_code == 403
    assert "<svg" not in r.text


def test_an_agent_of_another_region_finds_no_such_household(api: ApiHarness) -> None:
    sign_in(api, "karim.agent", "agent", sites=["site-nowhere"])

    assert api.client.get(PAGE).status_code == 404
