"""The requisition pages without a browser: Al Haouz asks, the coordinator decides."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from events.stock import StockReceived
from tests.support.api import SITE, USERNAMES, ApiHarness

CASABLANCA, BASKETS = "wh-casablanca", "ramadan-basket"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        harness.apply(
            StockReceived(receipt_id="rcpt-b", location_id=CASABLANCA, item_id=BASKETS,
                          quantity=100, lot="RB-2026-1"),
        )  # fmt: skip
        yield harness


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(api: ApiHarness, role: str) -> TestClient:
    """A browser of its own, signed in as the role's user (with its token)."""
    browser = TestClient(api.app)
    form = browser.get("/signin")
    token = api.tokens[USERNAMES[role]]
    answer = browser.post(
        "/signin", data={"csrf": csrf_of(form.text), "token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return browser


def request_baskets(api: ApiHarness, quantity: int = 40) -> str:
    """The Al Haouz agent asks Casablanca for baskets through the form; the requisition's id."""
    agent = sign_in(api, "agent")
    form = agent.get("/requisitions/new")
    assert form.status_code == 200, form.text
    form_id = re.search(r'name="form_id" value="([^"]+)"', form.text)
    assert form_id
    sent = agent.post(
        "/requisitions/new",
        data={"csrf": csrf_of(form.text), "form_id": form_id.group(1),
              "requesting_location_id": SITE, "supplying_location_id": CASABLANCA,
              "item_id-0": BASKETS, "quantity-0": str(quantity), "needed_by": "2099-03-10"},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    return form_id.group(1)


def test_the_agent_requests_baskets_and_sees_the_request_waiting(api: ApiHarness) -> None:
    rid = request_baskets(api)

    listed = sign_in(api, "agent").get("/requisitions?done=requisition")

    assert listed.status_code == 200
    assert "Réquisition envoyée au coordinateur." in listed.text
    assert f'id="req-{rid}"' in listed.text
    assert "En attente d&#39;approbation" in listed.text


def test_the_coordinator_approves_fewer_baskets_and_they_leave_casablanca(
    api: ApiHarness,
) -> None:
    rid = request_baskets(api, 40)
    coordinator = sign_in(api, "coordinator")
    page = coordinator.get("/coordinator/requisitions")
    assert f'name="approved:{BASKETS}"' in page.text

    approved = coordinator.post(
        f"/coordinator/requisitions/{rid}/approval",
        data={"csrf": csrf_of(page.text), "form_id": "f-1", f"approved:{BASKETS}": "30"},
        follow_redirects=False,
    )

    assert approved.status_code == 303, approved.text
    shown = api.get("coordinator", f"/v1/requisitions/{rid}").json()
    assert shown["status"] == "dispatched"
    assert [(ln["requested"], ln["approved"], ln["dispatched"]) for ln in shown["lines"]] == [
        (40, 30, 30)
    ]
    after = coordinator.get("/coordinator/requisitions?done=approval").text
    assert "Expédiée" in after


def test_more_than_requested_is_refused_in_words_next_to_the_requisition(api: ApiHarness) -> None:
    rid = request_baskets(api, 40)
    coordinator = sign_in(api, "coordinator")
    page = coordinator.get("/coordinator/requisitions")

    refused = coordinator.post(
        f"/coordinator/requisitions/{rid}/approval",
        data={"csrf": csrf_of(page.text), "form_id": "f-2", f"approved:{BASKETS}": "45"},
    )

    assert refused.status_code == 422
    assert "Au plus 40 demandés" in refused.text
    assert api.published("stock") == []


def test_the_requests_page_is_for_those_who_ask_and_approvals_for_coordinators(
    api: ApiHarness,
) -> None:
    assert sign_in(api, "coordinator").get("/requisitions").status_code == 403
    assert sign_in(api, "agent").get("/coordinator/requisitions").status_code == 403


QUAKE = "op-al-haouz-2026"


def test_the_coordinator_sends_baskets_by_convoy_and_both_pages_name_it(api: ApiHarness) -> None:
    opened = api.post("coordinator", "/v1/operations", {
        "id": QUAKE, "name": "Séisme d'Al Haouz", "kind": "earthquake", "region_codes": ["MA07"],
    })  # fmt: skip
    assert opened.status_code == 201, opened.text
    api.project_published()
    rid = request_baskets(api, 40)
    coordinator = sign_in(api, "coordinator")
    page = coordinator.get("/coordinator/requisitions")
    assert "Par transfert depuis l&#39;entrepôt" in page.text
    by_convoy = "Par convoi de l&#39;opération Séisme d&#39;Al Haouz"
    assert f'<option value="{QUAKE}">{by_convoy}' in page.text

    approved = coordinator.post(
        f"/coordinator/requisitions/{rid}/approval",
        data={"csrf": csrf_of(page.text), "form_id": "f-3", f"approved:{BASKETS}": "40",
              "operation_id": QUAKE},
        follow_redirects=False,
    )  # fmt: skip

    assert approved.status_code == 303, approved.text
    convoy = api.get("coordinator", f"/v1/requisitions/{rid}").json()["deployment_id"]
    assert convoy and api.published("stock") == []
    after = coordinator.get("/coordinator/requisitions?done=approval").text
    assert f'href="/coordinator?operation_id={QUAKE}#dep-{convoy}"' in after
    assert "Acheminée par le convoi de l&#39;opération Séisme d&#39;Al Haouz" in after
    board = coordinator.get(f"/coordinator?operation_id={QUAKE}").text
    assert f'id="dep-{convoy}"' in board
    agent = sign_in(api, "agent")
    agent.get("/lang/ar?next=/requisitions")
    mine = agent.get("/requisitions").text
    assert "تُنقل بقافلة العملية Séisme d&#39;Al Haouz:" in mine and convoy in mine
    agent.get("/lang/en?next=/requisitions")
    assert "Carried by the convoy of operation" in agent.get("/requisitions").text


def test_approved_by_transfer_the_page_names_the_transfer(api: ApiHarness) -> None:
    rid = request_baskets(api, 40)
    coordinator = sign_in(api, "coordinator")
    page = coordinator.get("/coordinator/requisitions")
    coordinator.post(
        f"/coordinator/requisitions/{rid}/approval",
        data={"csrf": csrf_of(page.text), "form_id": "f-4", f"approved:{BASKETS}": "40",
              "operation_id": ""},
    )  # fmt: skip

    transfer = api.get("coordinator", f"/v1/requisitions/{rid}").json()["transfer_id"]
    mine = sign_in(api, "agent").get("/requisitions").text
    assert f"Acheminée par le transfert : <code>{transfer}</code>" in mine
