"""Voiding a receipt, an adjustment or a count recorded by mistake: the location's writer
records its opposite, the entry stays in the log, and the read models follow."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.ui.pages import operator as operator_pages
from events.relief import DonationReceived, DonorRegistered
from events.stock import (
    StockAdjusted,
    StockAdjustmentVoided,
    StockCounted,
    StockCountVoided,
    StockReceiptVoided,
    VoidedLine,
)
from services.domain.stock.commands import VoidStockEntry
from tests.support.api import ApiHarness
from tests.support.stock_stories import (
    BASKETS,
    DECEMBER_2026,
    MARRAKECH,
    dispatch,
    given,
    line,
    received,
)


def void(entry: str, entry_id: str, reason: str = "typed 1000 for 100") -> VoidStockEntry:
    return VoidStockEntry.model_validate(
        {"location_id": MARRAKECH, "entry": entry, "entry_id": entry_id, "reason": reason}
    )


RECEIPT = received(1000, "RB-1", expires_on=DECEMBER_2026, donation_id="don-atlas")


# --- The decider's stories ---------------------------------------------------------------------


def test_a_receipt_typed_wrong_is_voided_by_its_opposite() -> None:
    state = (
        given(RECEIPT)
        .when(void("receipt", RECEIPT.receipt_id))
        .then(
            StockReceiptVoided(
                entry_id=RECEIPT.receipt_id,
                location_id=MARRAKECH,
                lines=[
                    VoidedLine(
                        item_id=BASKETS,
                        lot="RB-1",
                        expires_on=DECEMBER_2026,
                        donation_id="don-atlas",
                        quantity=-1000,
                    )
                ],
                reason="typed 1000 for 100",
            )
        )
    )
    assert state.on_hand(BASKETS) == 0
    assert ("receipt", RECEIPT.receipt_id) in state.voided


def test_a_receipt_whose_stock_has_left_cannot_be_voided_and_says_what_is_left() -> None:
    shipped = (
        given(RECEIPT)
        .when(dispatch(line(300)))
        .then(*given(RECEIPT).when(dispatch(line(300))).events)
    )
    story = given(RECEIPT, *given(RECEIPT).when(dispatch(line(300))).events)
    assert shipped.on_hand(BASKETS) == 700

    story.when(void("receipt", RECEIPT.receipt_id)).then_refused(
        "insufficient_stock", lot="RB-1", requested=1000, available=700
    )


def test_a_receipt_already_voided_is_refused() -> None:
    voided = given(RECEIPT).when(void("receipt", RECEIPT.receipt_id)).events
    given(RECEIPT, *voided).when(void("receipt", RECEIPT.receipt_id, "again")).then_refused(
        "already_voided", entry_id=RECEIPT.receipt_id
    )


def test_an_entry_the_location_never_recorded_is_refused() -> None:
    given(RECEIPT).when(void("receipt", "rcpt-elsewhere")).then_refused("unknown_receipt")
    # a receipt's id is not an adjustment's
    given(RECEIPT).when(void("adjustment", RECEIPT.receipt_id)).then_refused("unknown_adjustment")


def test_a_damage_recorded_twice_is_voided_and_the_stock_comes_back() -> None:
    damaged = StockAdjusted(
        adjustment_id="adj-7", location_id=MARRAKECH, item_id=BASKETS, lot="RB-1",
        expires_on=DECEMBER_2026, donation_id="don-atlas", quantity=-40, reason="damaged",
    )  # fmt: skip
    state = (
        given(RECEIPT, damaged)
        .when(void("adjustment", "adj-7"))
        .then(
            StockAdjustmentVoided(
                entry_id="adj-7",
                location_id=MARRAKECH,
                lines=[
                    VoidedLine(
                        item_id=BASKETS,
                        lot="RB-1",
                        expires_on=DECEMBER_2026,
                        donation_id="don-atlas",
                        quantity=40,
                    )
                ],
                reason="typed 1000 for 100",
            )
        )
    )
    assert state.on_hand(BASKETS) == 1000


def test_a_count_voided_undoes_its_variance_even_after_later_movements() -> None:
    counted = StockCounted(
        count_id="cnt-3", location_id=MARRAKECH, item_id=BASKETS, lot="RB-1",
        counted_quantity=900, variance=-100,
    )  # fmt: skip
    after = given(RECEIPT, counted).when(dispatch(line(50))).events
    state = (
        given(RECEIPT, counted, *after)
        .when(void("count", "cnt-3"))
        .then(
            StockCountVoided(
                entry_id="cnt-3",
                location_id=MARRAKECH,
                lines=[
                    VoidedLine(
                        item_id=BASKETS,
                        lot="RB-1",
                        expires_on=DECEMBER_2026,
                        donation_id="don-atlas",
                        quantity=100,
                    )
                ],
                reason="typed 1000 for 100",
            )
        )
    )
    assert state.on_hand(BASKETS) == 950


def test_a_count_that_found_nothing_to_change_is_voided_without_moving_stock() -> None:
    counted = StockCounted(
        count_id="cnt-4", location_id=MARRAKECH, item_id=BASKETS, lot="RB-1",
        counted_quantity=1000, variance=0,
    )  # fmt: skip
    state = (
        given(RECEIPT, counted)
        .when(void("count", "cnt-4"))
        .then(
            StockCountVoided(
                entry_id="cnt-4", location_id=MARRAKECH, lines=[], reason="typed 1000 for 100"
            )
        )
    )
    assert state.on_hand(BASKETS) == 1000


def test_a_void_without_a_reason_is_not_a_command() -> None:
    with pytest.raises(ValueError, match="reason"):
        void("receipt", RECEIPT.receipt_id, reason="")


# --- Over HTTP, and in the read models ---------------------------------------------------------

CASABLANCA = "wh-casablanca"
KARIM = "karim.operator"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        harness.apply(
            DonorRegistered(donor_id="donor-atlas", name="Fondation Atlas"),
            DonationReceived(donation_id="don-atlas", donor_id="donor-atlas",
                             location_id=CASABLANCA, item_id="ramadan-basket", quantity=100),
        )  # fmt: skip
        yield harness


def _receive(api: ApiHarness, receipt_id: str, quantity: int, **more: Any) -> None:
    body = {"id": receipt_id, "location_id": CASABLANCA, "item_id": "ramadan-basket",
            "quantity": quantity, "lot": f"L-{receipt_id}"} | more  # fmt: skip
    r = api.post("operator", "/v1/stock/receipts", body)
    assert r.status_code == 201, r.text
    api.project_published()  # a void finds its entry in the read model


def _on_hand(api: ApiHarness) -> int:
    r = api.get("coordinator", "/v1/inventory", params={"location_id": CASABLANCA})
    assert r.status_code == 200, r.text
    return sum(row["on_hand"] for row in r.json()["items"])


def test_a_wrong_receipt_voided_leaves_the_stock_card_explaining_it(api: ApiHarness) -> None:
    _receive(api, "rcpt-typo", 1000, donation_id="don-atlas")
    _receive(api, "rcpt-right", 100, donation_id="don-atlas")
    api.project_published()
    assert _on_hand(api) == 1100

    r = api.post("operator", "/v1/stock/receipts/rcpt-typo/void", {"reason": "1000 typed for 100"})
    assert r.status_code == 201, r.text
    assert [e["type"] for e in r.json()["events"]] == ["StockReceiptVoided"]
    api.project_published()

    assert _on_hand(api) == 100
    card = api.get("coordinator", f"/v1/inventory/{CASABLANCA}/ramadan-basket/card").json()
    assert [(ln["kind"], ln["reference_id"], ln["quantity"], ln["balance"], ln["voided"],
             ln["reason"]) for ln in card["items"]] == [
        ("StockReceived", "rcpt-typo", 1000, 1000, True, "received"),
        ("StockReceived", "rcpt-right", 100, 1100, False, "received"),
        ("StockReceiptVoided", "rcpt-typo", -1000, 100, False, "1000 typed for 100"),
    ]  # fmt: skip
    trace = api.get("coordinator", "/v1/donations/don-atlas/trace").json()
    assert trace["received"] == 100
    assert trace["in_stock"] == [{"location_id": CASABLANCA, "quantity": 100, "in_kits": 0}]
    assert trace["lost"] == 0


def test_the_stock_card_pages_in_log_order_with_its_running_balance_and_later_voids(
    api: ApiHarness,
) -> None:
    """A page of two lines at a time: the balance runs on across pages, and a receipt on
    the first page shows as voided by a void that sits on the last."""
    _receive(api, "rcpt-typo", 1000)
    for n in range(3):
        _receive(api, f"rcpt-{n}", 10)
    api.project_published()
    r = api.post("operator", "/v1/stock/receipts/rcpt-typo/void", {"reason": "1000 typed for 100"})
    assert r.status_code == 201, r.text
    api.project_published()
    path = f"/v1/inventory/{CASABLANCA}/ramadan-basket/card"

    pages, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        found = api.get("coordinator", path, params).json()
        pages.append([(ln["reference_id"], ln["balance"], ln["voided"]) for ln in found["items"]])
        if (cursor := found["next"]) is None:
            break

    assert pages == [
        [("rcpt-typo", 1000, True), ("rcpt-0", 1010, False)],
        [("rcpt-1", 1020, False), ("rcpt-2", 1030, False)],
        [("rcpt-typo", 30, False)],
    ]
    whole = api.get("coordinator", path, {"limit": 500}).json()
    assert (len(whole["items"]), whole["next"]) == (5, None)


def test_voiding_twice_is_a_409_and_a_retry_with_the_same_key_gets_the_first_answer(
    api: ApiHarness,
) -> None:
    _receive(api, "rcpt-typo", 1000)
    key = {"Idempotency-Key": "void-1"}
    first = api.post("operator", "/v1/stock/receipts/rcpt-typo/void", {"reason": "typo"}, key)
    again = api.post("operator", "/v1/stock/receipts/rcpt-typo/void", {"reason": "typo"}, key)
    other = api.post("operator", "/v1/stock/receipts/rcpt-typo/void", {"reason": "typo"})

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["events"] == first.json()["events"]
    assert other.status_code == 409, other.text
    assert other.json()["error"] == "already_voided"


def test_voiding_a_receipt_whose_baskets_left_is_a_409_naming_what_is_left(
    api: ApiHarness,
) -> None:
    _receive(api, "rcpt-typo", 100)
    sent = {"id": "tr-1", "from_location_id": CASABLANCA, "to_location_id": "wh-marrakech",
            "lines": [{"item_id": "ramadan-basket", "quantity": 30}]}  # fmt: skip
    assert api.post("operator", "/v1/stock/transfers", sent).status_code == 201

    r = api.post("operator", "/v1/stock/receipts/rcpt-typo/void", {"reason": "typo"})

    assert r.status_code == 409, r.text
    assert r.json()["error"] == "insufficient_stock"
    assert r.json()["available"] == 70


def test_voiding_an_unknown_receipt_is_a_404_and_a_blank_reason_a_422(api: ApiHarness) -> None:
    _receive(api, "rcpt-1", 10)
    missing = api.post("operator", "/v1/stock/receipts/rcpt-nope/void", {"reason": "typo"})
    blank = api.post("operator", "/v1/stock/receipts/rcpt-1/void", {"reason": ""})
    odd = api.post("operator", "/v1/stock/receipts/%20%00x/void", {"reason": "typo"})

    assert missing.status_code == 404, missing.text
    assert missing.json()["error"] == "unknown_receipt"
    assert blank.status_code == 422, blank.text
    assert odd.status_code == 404, odd.text


def test_an_operator_of_another_warehouse_may_not_void_here(api: ApiHarness) -> None:
    _receive(api, "rcpt-1", 10)
    api.create_user(KARIM, "operator", warehouses=["wh-marrakech"])

    r = api.post(KARIM, "/v1/stock/receipts/rcpt-1/void", {"reason": "typo"})

    assert r.status_code == 403, r.text


def test_an_adjustment_and_a_count_voided_come_back_on_hand(api: ApiHarness) -> None:
    _receive(api, "rcpt-1", 100)
    stolen = {"id": "adj-1", "location_id": CASABLANCA, "item_id": "ramadan-basket",
              "quantity": 10, "reason": "stolen"}  # fmt: skip
    assert api.post("operator", "/v1/stock/adjustments", stolen).status_code == 201
    counted = {"id": "cnt-1", "location_id": CASABLANCA, "item_id": "ramadan-basket",
               "counted_quantity": 80}  # fmt: skip
    assert api.post("operator", "/v1/stock/counts", counted).status_code == 201
    api.project_published()
    assert _on_hand(api) == 80

    r = api.post("operator", "/v1/stock/counts/cnt-1/void", {"reason": "counted the wrong bay"})
    assert r.status_code == 201, r.text
    r = api.post("operator", "/v1/stock/adjustments/adj-1/void", {"reason": "found them"})
    assert r.status_code == 201, r.text
    api.project_published()

    assert _on_hand(api) == 100


# --- From the stock card page -------------------------------------------------------------------

PASSWORD = "tajine-et-the-2026"
CARD_PAGE = f"/operator/card?location_id={CASABLANCA}&item_id=ramadan-basket"


@pytest.fixture
def web(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        harness.create_user("salma.operator", "operator", password=PASSWORD,
                            warehouses=[CASABLANCA])  # fmt: skip
        page = harness.client.get("/signin")
        signed = harness.client.post(
            "/signin",
            data={"csrf": _csrf(page.text), "username": "salma.operator", "password": PASSWORD},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
        yield harness


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field"
    return found.group(1)


def _void_form(html: str, entry_id: str) -> dict[str, str]:
    """The hidden fields of the card's void form of an entry."""
    form = re.search(
        rf'<form method="post" action="/operator/card/void".*?name="entry_id" value="{entry_id}"',
        html,
        re.S,
    )
    assert form, f"no void form for {entry_id}"
    fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))
    return fields | {"entry_id": entry_id}


def test_an_operator_voids_a_receipt_from_the_stock_card(web: ApiHarness) -> None:
    _receive(web, "rcpt-typo", 1000)
    page = web.client.get(CARD_PAGE)
    assert page.status_code == 200, page.text

    done = web.client.post(
        "/operator/card/void", data=_void_form(page.text, "rcpt-typo") | {"reason": "1000 pour 100"}
    )

    assert done.status_code == 200, done.text
    assert "Écriture annulée" in done.text
    assert "<s>Réception" in done.text and "Réception annulée (1000 pour 100)" in done.text
    assert 'name="entry_id" value="rcpt-typo"' not in done.text  # nothing left to void
    assert _on_hand(web) == 0


def test_a_void_the_stock_refuses_is_shown_next_to_its_line(web: ApiHarness) -> None:
    _receive(web, "rcpt-typo", 100)
    sent = {"id": "tr-1", "from_location_id": CASABLANCA, "to_location_id": "wh-marrakech",
            "lines": [{"item_id": "ramadan-basket", "quantity": 30}]}  # fmt: skip
    assert web.post("operator", "/v1/stock/transfers", sent).status_code == 201
    page = web.client.get(CARD_PAGE)

    refused = web.client.post(
        "/operator/card/void", data=_void_form(page.text, "rcpt-typo") | {"reason": "erreur"}
    )
    blank = web.client.post("/operator/card/void", data=_void_form(page.text, "rcpt-typo"))

    assert refused.status_code == 409, refused.text
    assert "70 disponibles, 100 demandés" in refused.text
    assert 'role="alert"' in refused.text
    assert blank.status_code == 422, blank.text
    assert _on_hand(web) == 70


def test_the_stock_card_page_shows_a_page_of_lines_and_links_to_the_next(
    web: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operator_pages, "CARD_ROWS", 2)
    for n in range(3):
        _receive(web, f"rcpt-{n}", 10)

    first = web.client.get(CARD_PAGE)
    [more] = re.findall(r'<p class="more"><a href="([^"]+)"', first.text)
    second = web.client.get(html.unescape(more))

    assert ("rcpt-0" in first.text, "rcpt-1" in first.text, "rcpt-2" in first.text) == (
        True, True, False,
    )  # fmt: skip
    assert second.status_code == 200, second.text
    assert "rcpt-2" in second.text and "rcpt-0" not in second.text
    assert '<p class="more">' not in second.text  # the last page
