"""Months of stock: Casablanca sends baskets on, Al Haouz hands them out; how long each
lasts at the pace of the window, computed by hand below."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from api import deps
from events.stock import (
    StockDistributed,
    StockReceived,
    TransferDispatched,
    TransferLine,
    TransferReceived,
)
from projections.tables import stock_movements, stock_use_days
from services.domain.stock.months import monthly_use, months_of_stock, short
from tests.support.api import SITE, USERNAMES, ApiHarness

CASABLANCA, BASKETS = "wh-casablanca", "ramadan-basket"
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 15, 9, 0, tzinfo=UTC)  # inside a 30-day window
DECEMBER = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)  # outside it


def test_600_on_hand_after_300_used_in_90_days_last_6_months() -> None:
    assert monthly_use(300, 90) == 100.0  # 300 × 30 / 90
    assert months_of_stock(600, 300, 90) == 6.0  # 600 / 100
    assert months_of_stock(50, 300, 30) == 0.17  # 50 / 300, rounded
    assert months_of_stock(600, 0, 90) is None  # nothing used: it lasts
    assert short(0.17, 1.0) and not short(6.0, 1.0) and not short(None, 1.0)


def line(quantity: int) -> TransferLine:
    return TransferLine(item_id=BASKETS, lot="RB-1", quantity=quantity)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    """Casablanca received 1,000 baskets; 100 left for Al Haouz in December, 300 in
    February; Al Haouz received both and handed out 250 in February."""
    with ApiHarness(tmp_path) as harness:
        harness.app.dependency_overrides[deps.now] = lambda: NOW
        harness.apply(StockReceived(receipt_id="r-1", location_id=CASABLANCA, item_id=BASKETS,
                                    quantity=1000, lot="RB-1"), occurred_at=DECEMBER)  # fmt: skip
        for tid, quantity, when in (("tr-dec", 100, DECEMBER), ("tr-feb", 300, FEBRUARY)):
            ends = {"transfer_id": tid, "from_location_id": CASABLANCA, "to_location_id": SITE}
            harness.apply(TransferDispatched(**ends, lines=[line(quantity)]), occurred_at=when)
            harness.apply(TransferReceived(**ends, lines=[line(quantity)]), occurred_at=when)
        harness.apply(StockDistributed(distribution_id="d-1", location_id=SITE, item_id=BASKETS,
                                       lot="RB-1", quantity=250, campaign_id="ramadan-2026",
                                       region_code="MA07"), occurred_at=FEBRUARY)  # fmt: skip
        yield harness


def test_each_location_lasts_at_its_own_pace_the_shortest_first(api: ApiHarness) -> None:
    r = api.get("coordinator", "/v1/inventory/months-of-stock",
                {"window_days": 30, "alert_below": 1})  # fmt: skip

    assert r.status_code == 200, r.text
    rows = [(x["location_id"], x["on_hand"], x["used"], x["monthly_use"], x["months"], x["below"])
            for x in r.json()["items"]]  # fmt: skip
    assert rows == [
        (SITE, 150, 250, 250.0, 0.6, True),  # 150 / 250
        (CASABLANCA, 600, 300, 300.0, 2.0, False),  # December's 100 is outside the window
    ]


def test_the_operator_sees_only_their_warehouse(
    api: ApiHarness,
) -> None:
    mine = api.get("operator", "/v1/inventory/months-of-stock", {"window_days": 120}).json()
    elsewhere = api.get("operator", "/v1/inventory/months-of-stock", {"location_id": SITE})

    assert [(x["location_id"], x["used"], x["months"]) for x in mine["items"]] == [
        (CASABLANCA, 400, 6.0),  # 600 / (400 × 30 / 120)
    ]
    assert elsewhere.status_code == 403


def test_the_operators_stock_page_flags_a_warehouse_running_out(tmp_path: Path) -> None:
    """90 of 100 baskets sent on today: 30 a month at the last 90 days' pace, 10 left."""
    today = datetime.now(UTC)
    with ApiHarness(tmp_path) as api:
        api.apply(StockReceived(receipt_id="r-1", location_id=CASABLANCA, item_id=BASKETS,
                                quantity=100, lot="RB-1"), occurred_at=today)  # fmt: skip
        api.apply(TransferDispatched(transfer_id="tr-1", from_location_id=CASABLANCA,
                                     to_location_id=SITE, lines=[line(90)]),
                  occurred_at=today)  # fmt: skip
        browser = TestClient(api.app)
        form = browser.get("/signin").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf
        token = api.tokens[USERNAMES["operator"]]
        browser.post("/signin", data={"csrf": csrf.group(1), "token": token})

        page = browser.get("/operator")

    assert page.status_code == 200
    months = page.text.split('<table class="months">')[1].split("</table>")[0]
    assert "Entrepôt Casablanca" in months
    assert "0,33" in months and "bientôt épuisé" in months


def test_a_site_under_a_month_of_stock_raises_an_alert_until_it_is_restocked(
    api: ApiHarness,
) -> None:
    """Over the 90 days to 1 March (December's transfer inside), Al Haouz hands out 100 more
    in February: 50 left after 350 used, 116.67 a month, 0.43 months. Casablanca, 600 left
    after 400 sent on, lasts 4.5 months: no alert."""
    api.apply(StockDistributed(distribution_id="d-2", location_id=SITE, item_id=BASKETS,
                               lot="RB-1", quantity=100, campaign_id="ramadan-2026",
                               region_code="MA07"), occurred_at=FEBRUARY)  # fmt: skip

    found = api.get("coordinator", "/v1/alerts", {"kind": "months_of_stock"}).json()["items"]

    assert [(a["location_id"], a["item_id"], a["details"]) for a in found] == [
        (SITE, BASKETS, {"on_hand": 50, "monthly_use": 116.67, "months": 0.43, "below": 1.0,
                         "window_days": 90}),
    ]  # fmt: skip
    assert "0.43" in found[0]["message"]
    api.apply(StockReceived(receipt_id="r-2", location_id=SITE, item_id=BASKETS,
                            quantity=200, lot="RB-1"), occurred_at=NOW)  # fmt: skip
    assert api.get("coordinator", "/v1/alerts", {"kind": "months_of_stock"}).json()["items"] == []


def test_the_use_is_kept_per_day_and_read_from_there_not_from_every_movement(
    api: ApiHarness,
) -> None:
    """The months of stock reads one row per location × item × day of use (February's
    transfer and distribution share the 15th), never the stock card: with the card's lines
    gone, it answers the same."""
    query = {"window_days": 120, "alert_below": 1}
    before = api.get("coordinator", "/v1/inventory/months-of-stock", query).json()["items"]
    with api.engine.begin() as conn:
        days = sorted(tuple(r) for r in conn.execute(select(stock_use_days)))
        conn.execute(delete(stock_movements))

    after = api.get("coordinator", "/v1/inventory/months-of-stock", query).json()["items"]

    assert [(str(d[0]), d[2].isoformat(), d[3]) for d in days] == [
        (SITE, "2026-02-15", 250),
        (CASABLANCA, "2025-12-01", 100),
        (CASABLANCA, "2026-02-15", 300),
    ]
    assert [(x["location_id"], x["used"]) for x in before] == [(SITE, 250), (CASABLANCA, 400)]
    assert after == before
