"""Youssef, the Casablanca operator, assembles Ramadan baskets from the Fondation Atlas's
flour on the assembly page and finds the assembly on the stock cards of the flour and of the
baskets; the baskets go to Amizmiz, two are handed out, and the Fondation Atlas sees its
flour inside the baskets and at the households."""

from __future__ import annotations

import pytest

from tests.e2e.scenario import (
    CAMPAIGN,
    HOUSEHOLDS,
    Site,
    consume_site_stock,
    days_from_today,
    ok,
)
from tests.support.api import SITE

pytestmark = pytest.mark.browser

CASABLANCA, BASKET, FLOUR, LOT = "wh-casablanca", "ramadan-basket", "flour-25kg", "PAN-ATL-1"


def test_an_operator_assembles_baskets_and_the_donor_follows_its_flour_into_them(
    site: Site,
) -> None:
    api = site.api
    recipe = {"components": [{"item_id": FLOUR, "quantity": 1}]}
    ok(api.post("coordinator", f"/v1/items/{BASKET}/composition", recipe))
    ok(api.post("admin", "/v1/donations", {
        "id": "don-atlas-farine", "donor_id": "donor-fondation-atlas", "location_id": CASABLANCA,
        "item_id": FLOUR, "quantity": 20, "lot": "FL-ATL", "expires_on": days_from_today(59),
    }))  # fmt: skip

    page = site.page("operator")
    page.goto(f"{site.url}/operator/assembly")
    page.select_option("#kit_item_id", BASKET)
    page.fill("#quantity", "6")
    page.fill("#lot", LOT)
    page.click("button[name=preview]")
    taken = page.inner_text("table.preview-lots")
    assert "FL-ATL" in taken and "6" in taken  # 6 of the gift's 20 kg, nothing recorded yet
    page.click("button.primary")
    assert "Kits assemblés." in page.inner_text(".notice")
    page.goto(f"{site.url}/operator/card?location_id={CASABLANCA}&item_id={FLOUR}")
    flour = page.inner_text("table")
    assert "FL-ATL" in flour and "-6" in flour.replace("−", "-")
    page.goto(f"{site.url}/operator/card?location_id={CASABLANCA}&item_id={BASKET}")
    assert LOT in page.inner_text("table")
    site.shot(page, "operator-basket-card")

    ok(api.post("admin", "/v1/stock/transfers", {
        "id": "tr-paniers-amizmiz", "from_location_id": CASABLANCA, "to_location_id": SITE,
        "lines": [{"item_id": BASKET, "quantity": 6, "lot": LOT}],
    }))  # fmt: skip
    arrived = {"lines": [{"item_id": BASKET, "quantity": 6}]}
    ok(api.post("admin", "/v1/stock/transfers/tr-paniers-amizmiz/receipt", arrived))
    for n, household in enumerate(HOUSEHOLDS.values()):
        ok(api.post("agent", "/v1/distributions", {
            "id": f"dist-panier-{n}", "campaign_id": CAMPAIGN, "household_id": household,
            "site_id": SITE, "quantity": 1,
        }))  # fmt: skip
    consume_site_stock(api)

    donor = site.page("donor")
    gift = donor.locator("article.donation", has_text="don-atlas-farine")
    assert "Dans les paniers" in gift.inner_text()
    handed = gift.locator(".through-kits p").first.inner_text()
    assert handed.startswith("2 paniers contenant votre don ont été remis à 2 ménages")
    assert LOT in gift.locator(".through-kits table").first.inner_text()
    assert "4 unités en stock et 0 en route" in gift.locator(".kits-where").inner_text()
    site.shot(donor, "donor-flour-in-baskets")
