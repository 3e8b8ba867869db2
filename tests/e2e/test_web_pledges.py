"""The Fondation Atlas pledges 300 Ramadan baskets; it reads the pledge open on its page,
then 150 arrive naming it, a convoy carries them to Amizmiz and two are handed out: the
pledge shows them received, in stock and distributed, with 150 still outstanding."""

from __future__ import annotations

import pytest

from tests.e2e.scenario import Site, days_from_today, ok
from tests.e2e.test_web_donor import hand_out_two_baskets

pytestmark = pytest.mark.browser
PLEDGE = "pl-atlas-paniers"


def figures(site: Site, page: object) -> list[str]:
    page.goto(f"{site.url}/donor")  # type: ignore[attr-defined]
    row = page.locator(f"#pledge-{PLEDGE}")  # type: ignore[attr-defined]
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def test_a_donor_sees_its_pledge_turn_into_received_and_distributed(site: Site) -> None:
    api = site.api
    ok(api.post("admin", "/v1/pledges", {
        "id": PLEDGE, "donor_id": "donor-fondation-atlas", "due_on": "2099-06-30",
        "item_id": "ramadan-basket", "quantity": 300,
    }))  # fmt: skip
    page = site.page("donor")
    # due, status, pledged, received, outstanding, over, in stock, in transit, distributed, lost
    assert figures(site, page)[1:] == ["En cours", "300", "0", "300", "0", "0", "0", "0", "0"]

    # a day before the seeded gifts expire, so the convoy and the distributions take these first
    ok(api.post("admin", "/v1/donations", {
        "id": "don-atlas-promesse", "donor_id": "donor-fondation-atlas",
        "location_id": "wh-marrakech", "item_id": "ramadan-basket", "quantity": 150,
        "expires_on": days_from_today(87), "pledge_id": PLEDGE,  # before the scenario's lot
    }))  # fmt: skip
    hand_out_two_baskets(site)

    assert figures(site, page)[1:] == ["En cours", "300", "150", "150", "0", "148", "0", "2", "0"]
    site.shot(page, "donor-pledges")


def test_a_money_pledge_reads_as_the_goods_its_cash_bought(site: Site) -> None:
    """50,000 dirhams pledged, 20,000 given: 40 sacks of flour and 20 baskets bought at
    Casablanca, 10 sacks sent on to Marrakech. The pledge reads item by item, not as units
    of flour and baskets summed."""
    api = site.api
    money = "pl-atlas-dirhams"
    ok(api.post("admin", "/v1/pledges", {
        "id": money, "donor_id": "donor-fondation-atlas", "due_on": "2099-06-30",
        "amount": "50000", "currency": "MAD",
    }))  # fmt: skip
    ok(api.post("admin", "/v1/cash-donations", {
        "id": "don-atlas-dirhams", "donor_id": "donor-fondation-atlas", "amount": "20000",
        "currency": "MAD", "pledge_id": money,
    }))  # fmt: skip
    for item, quantity in (("flour-25kg", 40), ("ramadan-basket", 20)):
        ok(api.post("admin", "/v1/purchases", {
            "id": f"buy-{item}", "donation_id": "don-atlas-dirhams", "supplier": "Souk Al Had",
            "location_id": "wh-casablanca", "item_id": item, "quantity": quantity,
            "amount": "5000", "currency": "MAD",
        }))  # fmt: skip
    ok(api.post("admin", "/v1/stock/transfers", {
        "id": "tr-bought-flour", "from_location_id": "wh-casablanca",
        "to_location_id": "wh-marrakech",
        "lines": [{"item_id": "flour-25kg", "quantity": 10, "lot": "buy-flour-25kg"}],
    }))  # fmt: skip
    page = site.page("donor")
    page.goto(f"{site.url}/donor")

    def row(row_id: str) -> list[str]:
        cells = page.locator(f"#{row_id}").locator("th, td").all_inner_texts()
        return [cell.strip() for cell in cells]

    # bought, (the pledge's own columns), in stock, in transit, distributed, lost
    assert row(f"pledge-{money}-flour-25kg") == [
        "acheté : Farine 25 kg", "", "30", "10", "0", "0",
    ]  # fmt: skip
    assert row(f"pledge-{money}-ramadan-basket") == [
        "acheté : Panier alimentaire Ramadan", "", "20", "0", "0", "0",
    ]  # fmt: skip
    text = page.inner_text("main")
    assert "Don en espèces don-atlas-dirhams" in text
    assert "dont 10000.00 MAD dépensés en achats" in text
    site.shot(page, "donor-cash")
