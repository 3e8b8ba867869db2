"""The Fondation Atlas follows its gift of baskets: in stock, on the road, then handed out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.e2e.scenario import CONVOY, DONATION, OTHER_DONATION, Site, consume_site_stock, ok
from tests.support.api import SITE

pytestmark = pytest.mark.browser


def hand_out_two_baskets(site: Site) -> None:
    api = site.api
    ok(api.post("admin", f"/v1/deployments/{CONVOY}/dispatch", None))
    ok(api.post("admin", f"/v1/deployments/{CONVOY}/deliver",
                {"lines": [{"item_id": "ramadan-basket", "quantity": 100}]}))  # fmt: skip
    for n, household in enumerate(("hh-ait-ourir-001", "hh-ait-ourir-002")):
        ok(api.post("admin", "/v1/distributions", {
            "id": f"dist-{n}", "campaign_id": "ramadan-al-haouz", "household_id": household,
            "site_id": SITE, "quantity": 1, "occurred_at": datetime.now(UTC).isoformat(),
        }))  # fmt: skip
    consume_site_stock(api)


def test_a_donor_sees_where_its_gift_went(site: Site) -> None:
    hand_out_two_baskets(site)
    page = site.page("donor")
    assert page.url.endswith("/donor")
    text = page.inner_text("main")
    assert f"Don {DONATION}" in text and OTHER_DONATION not in text
    legend = page.inner_text(".legend")
    assert "distribué : 2" in legend and "en stock : 198" in legend
    assert "2 ménages atteints." in text
    assert "Marrakech-Safi" in page.inner_text("table >> nth=0")
    month = datetime.now(UTC).strftime("%Y")
    assert month in page.inner_text("table >> nth=1")
    site.shot(page, "donor")


def test_the_donor_page_in_arabic(site: Site) -> None:
    page = site.page("donor", "ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert "تبرعاتي" in page.inner_text("h1")
    site.shot(page, "donor")
