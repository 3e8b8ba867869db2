"""The pledge pages without a browser: the Fondation Atlas pledged 2,000 sacks of flour and
50,000 dirhams; 1,200 sacks arrived and 300 went on to Al Haouz. The donor reads its pledges
with what arrived and where it went; the coordinator reads those overdue. In French, Arabic
and English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import deps
from api.ui.pages import donor, pledges
from tests.support.api import SITE, ApiHarness
from tests.unit.test_requisition_pages import sign_in

ATLAS, CASA, FLOUR, OIL = "donor-fondation-atlas", "wh-casablanca", "flour-25kg", "oil-5l"


def ok(response: object, status: int = 201) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        harness.app.dependency_overrides[deps.now] = lambda: datetime(2026, 3, 2, tzinfo=UTC)
        ok(harness.post("coordinator", "/v1/donors", {"id": ATLAS, "name": "Fondation Atlas"}))
        ok(harness.post("coordinator", "/v1/pledges", {
            "id": "pl-flour", "donor_id": ATLAS, "due_on": "2026-03-20", "item_id": FLOUR,
            "quantity": 2000}))  # fmt: skip
        ok(harness.post("coordinator", "/v1/pledges", {
            "id": "pl-cash", "donor_id": ATLAS, "due_on": "2026-04-30", "amount": "50000",
            "currency": "MAD"}))  # fmt: skip
        ok(harness.post("coordinator", "/v1/donations", {
            "id": "don-1", "donor_id": ATLAS, "location_id": CASA, "item_id": FLOUR,
            "quantity": 1200, "pledge_id": "pl-flour"}))  # fmt: skip
        ok(harness.post("admin", "/v1/stock/transfers", {
            "id": "tr-1", "from_location_id": CASA, "to_location_id": SITE,
            "lines": [{"item_id": FLOUR, "quantity": 300}]}))  # fmt: skip
        yield harness


def cells(page: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}"[^>]*>(.*?)</tr>', page, re.S)
    assert row, page
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>",
                                                                  row.group(1))]  # fmt: skip


def english(browser: TestClient, path: str) -> str:
    browser.get(f"/lang/en?next={path}")
    page = browser.get(path)
    assert page.status_code == 200, page.text
    return page.text


def test_the_donor_reads_its_pledges_with_what_arrived_and_where_it_went(
    api: ApiHarness,
) -> None:
    page = english(sign_in(api, "donor"), "/donor")
    flour = cells(page, "pledge-pl-flour")
    # what, due, status, pledged, received, outstanding, over, in stock, in transit,
    # distributed, lost
    assert flour[2:] == ["Open", "2000", "1200", "800", "0", "900", "300", "0", "0"]
    cash = cells(page, "pledge-pl-cash")
    assert cash[0] == "MAD"
    assert cash[3:7] == ["50000.00", "0.00", "50000.00", "0.00"]


def spend_the_cash_on_flour_and_oil(api: ApiHarness) -> None:
    """20,000 of the 50,000 dirhams given: 40 sacks and 100 bottles bought at Casablanca,
    30 bottles sent on to Al Haouz."""
    ok(api.post("coordinator", "/v1/items", {"id": OIL, "name": "Huile 5 L", "unit": "bottle"}))
    ok(api.post("coordinator", "/v1/cash-donations", {
        "id": "don-cash", "donor_id": ATLAS, "amount": "20000", "currency": "MAD",
        "pledge_id": "pl-cash"}))  # fmt: skip
    for item, quantity, amount in ((FLOUR, 40, "8000"), (OIL, 100, "7000")):
        ok(api.post("admin", "/v1/purchases", {
            "id": f"buy-{item}", "donation_id": "don-cash", "supplier": "Souk Al Had",
            "location_id": CASA, "item_id": item, "quantity": quantity, "amount": amount,
            "currency": "MAD"}))  # fmt: skip
    ok(api.post("admin", "/v1/stock/transfers", {
        "id": "tr-oil", "from_location_id": CASA, "to_location_id": SITE,
        "lines": [{"item_id": OIL, "quantity": 30, "lot": f"buy-{OIL}"}]}))  # fmt: skip


def test_a_money_pledge_shows_the_goods_its_cash_bought_item_by_item(api: ApiHarness) -> None:
    spend_the_cash_on_flour_and_oil(api)
    page = english(sign_in(api, "donor"), "/donor")

    cash = cells(page, "pledge-pl-cash")
    assert cash[3:] == ["50000.00", "20000.00", "30000.00", "0.00", "", "", "", ""]
    # bought, then in stock, in transit, distributed, lost (the pledge's columns left empty)
    assert cells(page, f"pledge-pl-cash-{FLOUR}") == ["bought: Farine 25 kg", "", "40", "0",
                                                      "0", "0"]  # fmt: skip
    assert cells(page, f"pledge-pl-cash-{OIL}") == ["bought: Huile 5 L", "", "70", "30", "0",
                                                    "0"]  # fmt: skip
    # the cash donation itself, item by item: received, in stock, in transit, distributed,
    # in baskets, lost (no chart of units summed over flour and oil)
    assert "Cash donation don-cash" in page and "8000.00 MAD of it spent" not in page
    assert "15000.00 MAD of it spent on purchases" in page
    assert cells(page, f"item-don-cash-{FLOUR}") == ["Farine 25 kg", "40", "40", "0", "0", "0",
                                                     "0"]  # fmt: skip
    assert cells(page, f"item-don-cash-{OIL}") == ["Huile 5 L", "100", "70", "30", "0", "0",
                                                   "0"]  # fmt: skip
    cash_article = page[page.index('id="donation-don-cash"') :]
    assert 'class="stack"' not in cash_article.split("</article>")[0]
    assert 'id="item-don-1-' not in page  # a gift of one item reads as before, with its chart


def test_a_money_pledge_with_nothing_bought_yet_shows_a_dash(api: ApiHarness) -> None:
    ok(api.post("coordinator", "/v1/cash-donations", {
        "id": "don-cash", "donor_id": ATLAS, "amount": "20000", "currency": "MAD",
        "pledge_id": "pl-cash"}))  # fmt: skip
    page = english(sign_in(api, "donor"), "/donor")
    assert cells(page, "pledge-pl-cash")[7:] == ["—", "—", "—", "—"]
    assert "Nothing has been bought with this donation yet." in page


def test_the_coordinator_reads_the_pledges_overdue(api: ApiHarness) -> None:
    api.app.dependency_overrides[deps.now] = lambda: datetime(2026, 4, 1, tzinfo=UTC)
    page = english(sign_in(api, "coordinator"), "/coordinator/pledges")
    assert cells(page, "pledge-pl-flour")[0] == "Fondation Atlas"
    assert cells(page, "pledge-pl-flour")[3:] == ["2000", "1200", "800"]
    assert 'id="pledge-pl-cash"' not in page  # due at the end of April


@pytest.mark.parametrize(
    ("language", "title", "status"),
    [("fr", "Promesses de dons", "En cours"), ("ar", "تعهدات التبرع", "جارٍ"),
     ("en", "Pledges", "Open")],
)  # fmt: skip
def test_the_pledges_speak_french_arabic_and_english(
    api: ApiHarness, language: str, title: str, status: str
) -> None:
    donor = sign_in(api, "donor")
    donor.get(f"/lang/{language}?next=/donor")
    page = donor.get("/donor").text
    assert f"<h2>{title}</h2>" in page and status in page
    coordinator = sign_in(api, "coordinator")
    coordinator.get(f"/lang/{language}?next=/coordinator/pledges")
    overdue = coordinator.get("/coordinator/pledges")
    assert overdue.status_code == 200
    assert {"fr": "Promesses en retard", "ar": "التعهدات المتأخرة", "en": "Overdue pledges"}[
        language
    ] in overdue.text


def test_a_donor_cannot_open_the_coordinators_overdue_list(api: ApiHarness) -> None:
    assert sign_in(api, "donor").get("/coordinator/pledges").status_code == 403


def link(page: str, words: str) -> str:
    found = re.search(rf'<a href="([^"]+)">{re.escape(words)}', page)
    assert found, page
    return found.group(1).replace("&amp;", "&")


def donations_shown(page: str) -> list[str]:
    return re.findall(r'<article class="card donation[^"]*" id="donation-([^"]+)"', page)


def test_the_donor_page_pages_donations_and_pledges_and_a_pledge_counts_all_its_gifts(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One of each list per page: the newest donation of goods first, the cash donation, the
    pledge due first; each list's link moves it on. A pledge's figures come from every
    donation fulfilling it, not from the donations on the page: don-1, which fulfils the
    flour pledge, is on the second page of donations."""
    ok(api.post("coordinator", "/v1/donations", {
        "id": "don-2", "donor_id": ATLAS, "location_id": CASA, "item_id": FLOUR,
        "quantity": 5}))  # fmt: skip
    for n in (1, 2):
        gift = {"id": f"don-cash-{n}", "donor_id": ATLAS, "amount": "100", "currency": "MAD"}
        ok(api.post("coordinator", "/v1/cash-donations", gift))
    monkeypatch.setattr(donor, "DONOR_ROWS", 1)
    browser = sign_in(api, "donor")

    first = english(browser, "/donor")
    assert donations_shown(first) == ["don-2", "don-cash-2"]
    assert cells(first, "pledge-pl-flour")[2:] == [
        "Open", "2000", "1200", "800", "0", "900", "300", "0", "0"]  # fmt: skip
    assert 'id="pledge-pl-cash"' not in first

    goods = browser.get(link(first, "More donations of goods"))
    assert donations_shown(goods.text) == ["don-1", "don-cash-2"]
    assert "More donations of goods" not in goods.text
    cash = browser.get(link(first, "More cash donations"))
    assert donations_shown(cash.text) == ["don-2", "don-cash-1"]
    assert "More cash donations" not in cash.text
    pledged = browser.get(link(first, "Next page"))
    assert 'id="pledge-pl-cash"' in pledged.text and 'id="pledge-pl-flour"' not in pledged.text
    assert "Next page" not in pledged.text


def test_the_pledges_overdue_are_read_a_page_at_a_time(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.app.dependency_overrides[deps.now] = lambda: datetime(2026, 5, 1, tzinfo=UTC)
    monkeypatch.setattr(pledges, "OVERDUE_ROWS", 1)
    browser = sign_in(api, "coordinator")

    first = english(browser, "/coordinator/pledges")
    second = browser.get(link(first, "Next page")).text

    assert 'id="pledge-pl-flour"' in first and 'id="pledge-pl-cash"' not in first
    assert 'id="pledge-pl-cash"' in second and 'id="pledge-pl-flour"' not in second
    assert "Next page" not in second
