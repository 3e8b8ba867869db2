"""Pledges and cash over HTTP as stories: the Fondation Atlas pledges flour and dirhams, gives
part, then more than promised; money buys flour that the donor trace follows; a donor reads
only its own pledges; coordinators see those overdue."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api import deps
from tests.support.api import ApiHarness

ATLAS, CROISSANT = "donor-fondation-atlas", "croissant-rouge"  # the donor user is Atlas's
CASA, FLOUR = "wh-casablanca", "flour-25kg"
MARCH_2 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        harness.app.dependency_overrides[deps.now] = lambda: MARCH_2
        for donor_id, name in ((ATLAS, "Fondation Atlas"), (CROISSANT, "Croissant-Rouge")):
            ok(harness.post("coordinator", "/v1/donors", {"id": donor_id, "name": name}))
        harness.project_published()
        yield harness


def pledge(api: ApiHarness, pledge_id: str, donor: str = ATLAS, **terms: Any) -> dict[str, Any]:
    body = {"id": pledge_id, "donor_id": donor, "due_on": "2026-03-20"} | terms
    answer = ok(api.post("coordinator", "/v1/pledges", body))
    api.project_published()
    return answer


def give(api: ApiHarness, gift: str, quantity: int, **more: Any) -> None:
    body = {"id": gift, "donor_id": ATLAS, "location_id": CASA, "item_id": FLOUR,
            "quantity": quantity} | more  # fmt: skip
    ok(api.post("coordinator", "/v1/donations", body))
    api.project_published()


def read(api: ApiHarness, pledge_id: str, who: str = "coordinator") -> dict[str, Any]:
    return ok(api.get(who, f"/v1/pledges/{pledge_id}"), 200)


def test_a_pledge_of_flour_is_fulfilled_in_part_then_beyond(api: ApiHarness) -> None:
    made = pledge(api, "pl-flour", item_id=FLOUR, quantity=2000)
    assert (made["kind"], made["pledged"]) == ("goods", 2000)
    got = read(api, "pl-flour")
    assert (got["received"], got["outstanding"], got["status"]) == (0, 2000, "open")
    give(api, "don-1", 1200, pledge_id="pl-flour")
    got = read(api, "pl-flour")
    assert (got["received"], got["outstanding"], got["over"], got["status"]) == (
        1200, 800, 0, "open",
    )  # fmt: skip
    give(api, "don-2", 1000, pledge_id="pl-flour")
    got = read(api, "pl-flour")
    assert (got["received"], got["outstanding"], got["over"], got["status"]) == (
        2200, 0, 200, "fulfilled",
    )  # fmt: skip
    history = ok(api.get("auditor", "/v1/history/pledge/pl-flour"), 200)["items"]
    # all at the API's pinned moment: listed by event id within it
    assert sorted(h["type"] for h in history) == [
        "DonationReceived", "DonationReceived", "PledgeFulfilmentRecorded",
        "PledgeFulfilmentRecorded", "PledgeMade",
    ]  # fmt: skip


def test_a_donation_cannot_name_another_donors_or_another_items_pledge(api: ApiHarness) -> None:
    pledge(api, "pl-croissant", donor=CROISSANT, item_id=FLOUR, quantity=10)
    pledge(api, "pl-baskets", item_id="ramadan-basket", quantity=10)
    for pledge_id in ("pl-croissant", "pl-baskets", "pl-unknown"):
        body = {"id": f"don-{pledge_id}", "donor_id": ATLAS, "location_id": CASA,
                "item_id": FLOUR, "quantity": 5, "pledge_id": pledge_id}  # fmt: skip
        answer = ok(api.post("coordinator", "/v1/donations", body), 422)
        assert answer["field"] == "pledge_id"


def test_cancelling_withdraws_what_is_outstanding(api: ApiHarness) -> None:
    pledge(api, "pl-flour", item_id=FLOUR, quantity=2000)
    give(api, "don-1", 500, pledge_id="pl-flour")
    reason = {"reason": "the second shipment will not come"}
    ok(api.post("coordinator", "/v1/pledges/pl-flour/cancel", reason))
    api.project_published()
    got = read(api, "pl-flour")
    assert (got["received"], got["outstanding"], got["status"]) == (500, 0, "cancelled")
    again = ok(api.post("coordinator", "/v1/pledges/pl-flour/cancel", reason), 409)
    assert again["error"] == "pledge_cancelled"


def test_money_is_pledged_and_given_as_a_decimal_string_or_minor_units(api: ApiHarness) -> None:
    made = pledge(api, "pl-cash", amount="50000.00", currency="MAD")
    assert (made["kind"], made["pledged"], made["currency"]) == ("money", 5_000_000, "MAD")
    body = {"id": "don-cash", "donor_id": ATLAS, "amount": 2_000_000, "currency": "MAD",
            "pledge_id": "pl-cash"}  # fmt: skip
    ok(api.post("coordinator", "/v1/cash-donations", body))
    api.project_published()
    assert read(api, "pl-cash")["outstanding"] == 3_000_000
    bad = {"id": "don-x", "donor_id": ATLAS, "amount": "10", "currency": "XYZ"}
    assert ok(api.post("coordinator", "/v1/cash-donations", bad), 422)["field"] == "currency"
    fine = bad | {"amount": "10.005", "currency": "MAD"}
    assert ok(api.post("coordinator", "/v1/cash-donations", fine), 422)["field"] == "amount"


def test_money_buys_flour_that_the_donor_trace_follows(api: ApiHarness) -> None:
    cash = {"id": "don-cash", "donor_id": ATLAS, "amount": "20000", "currency": "MAD"}
    ok(api.post("coordinator", "/v1/cash-donations", cash))
    api.project_published()
    buy = {"id": "buy-1", "donation_id": "don-cash", "supplier": "Minoterie du Souss",
           "location_id": CASA, "item_id": FLOUR, "quantity": 300, "amount": "12000.00",
           "currency": "MAD"}  # fmt: skip
    bought = ok(api.post("operator", "/v1/purchases", buy))
    assert bought["amount"] == 1_200_000
    api.project_published()
    trace = ok(api.get("donor", "/v1/donations/don-cash/trace"), 200)
    assert trace["received"] == 300
    assert trace["in_stock"] == [{"location_id": CASA, "quantity": 300, "in_kits": 0}]
    held = ok(api.get("donor", "/v1/cash-donations/don-cash"), 200)
    assert (held["spent"], held["remaining"]) == (1_200_000, 800_000)
    assert [(b["purchase_id"], b["quantity"]) for b in held["purchases"]] == [("buy-1", 300)]
    more = buy | {"id": "buy-2", "amount": "9000"}
    refused = ok(api.post("operator", "/v1/purchases", more), 409)
    assert refused["error"] == "insufficient_funds"
    assert "8000.00 MAD" in refused["message"]


def test_a_donor_reads_its_own_pledges_and_coordinators_the_overdue(api: ApiHarness) -> None:
    pledge(api, "pl-atlas-late", item_id=FLOUR, quantity=100)
    pledge(api, "pl-atlas-later", item_id=FLOUR, quantity=100, due_on="2026-04-30")
    pledge(api, "pl-croissant", donor=CROISSANT, item_id=FLOUR, quantity=100)
    mine = ok(api.get("donor", "/v1/pledges"), 200)["items"]
    assert [p["id"] for p in mine] == ["pl-atlas-late", "pl-atlas-later"]
    assert api.get("donor", "/v1/pledges", {"donor_id": CROISSANT}).status_code == 403
    assert api.get("donor", "/v1/pledges/pl-croissant").status_code == 403
    api.app.dependency_overrides[deps.now] = lambda: datetime(2026, 3, 25, tzinfo=UTC)
    overdue = ok(api.get("coordinator", "/v1/pledges", {"overdue": 1}), 200)["items"]
    assert [p["id"] for p in overdue] == ["pl-atlas-late", "pl-croissant"]
    first = ok(api.get("coordinator", "/v1/pledges", {"limit": 2}), 200)
    rest = ok(api.get("coordinator", "/v1/pledges", {"limit": 2, "cursor": first["next"]}), 200)
    assert [p["id"] for p in first["items"] + rest["items"]] == [
        "pl-atlas-late", "pl-croissant", "pl-atlas-later",
    ]  # fmt: skip


def test_the_iati_export_lists_a_donors_commitments_funds_gifts_and_expenditures(
    api: ApiHarness,
) -> None:
    pledge(api, "pl-cash", amount="50000.00", currency="MAD")
    pledge(api, "pl-flour", item_id=FLOUR, quantity=2000)
    pledge(api, "pl-croissant", donor=CROISSANT, item_id=FLOUR, quantity=10)
    cash = {"id": "don-cash", "donor_id": ATLAS, "amount": "20000", "currency": "MAD",
            "pledge_id": "pl-cash"}  # fmt: skip
    ok(api.post("coordinator", "/v1/cash-donations", cash))
    give(api, "don-1", 1200, pledge_id="pl-flour")
    buy = {"id": "buy-1", "donation_id": "don-cash", "supplier": "Minoterie du Souss",
           "location_id": CASA, "item_id": FLOUR, "quantity": 300, "amount": "12000.50",
           "currency": "MAD"}  # fmt: skip
    ok(api.post("operator", "/v1/purchases", buy))
    api.project_published()

    answer = api.get("donor", "/v1/reports/iati.csv", {"donor_id": ATLAS})
    assert answer.status_code == 200, answer.text
    header, elements, *rows = list(csv.reader(io.StringIO(answer.text)))
    assert elements[:4] == ["transaction/@ref", "transaction-type/@code",
                            "transaction-type/narrative", "transaction-date/@iso-date"]  # fmt: skip
    got = [dict(zip(header, row, strict=True)) for row in rows]
    summary = [(r["Reference"], r["Type code"], r["Value"], r["Currency"], r["In kind"],
                r["Quantity"], r["Pledge"]) for r in got]  # fmt: skip
    assert summary == [
        ("pl-cash", "11", "50000.00", "MAD", "", "", ""),
        ("pl-flour", "11", "", "", "1", "2000", ""),
        ("don-cash", "1", "20000.00", "MAD", "", "", "pl-cash"),
        ("don-1", "1", "", "", "1", "1200", "pl-flour"),
        ("buy-1", "4", "12000.50", "MAD", "", "300", ""),
    ]
    assert got[-1]["Receiver"] == "Minoterie du Souss"
    assert got[-1]["Cash donation"] == "don-cash"
    assert got[0]["Provider name"] == "Fondation Atlas"
    assert got[0]["Date"] == "2026-03-02"
    other = api.get("donor", "/v1/reports/iati.csv", {"donor_id": CROISSANT})
    assert other.status_code == 403
    everyone = api.get("coordinator", "/v1/reports/iati.csv").text
    assert "pl-croissant" in everyone
