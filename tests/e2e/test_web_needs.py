"""Three more households of Al Haouz are expected at Amizmiz: the admin reads on the needs
page that Amizmiz lacks three Ramadan baskets, follows the link to a requisition already
filled with them, names Marrakech and sends it. The coordinator reads it in Arabic."""

from __future__ import annotations

import pytest

from tests.e2e.scenario import CAMPAIGN, Site
from tests.e2e.test_web_admin import admin_page
from tests.support.api import SITE

pytestmark = pytest.mark.browser
BASKETS = "ramadan-basket"


def expect_three(site: Site) -> None:
    for n, cin in enumerate(("JB100201", "JB100202", "JB100203")):
        r = site.api.post("admin", "/v1/households", {
            "id": f"hh-amizmiz-10{n}", "national_id": cin, "head_name": f"Famille {n + 10}",
            "size": 4, "region_code": "MA07", "province_code": "MA0701", "groups": ["children"],
            "site_id": SITE,
        })  # fmt: skip
        assert r.status_code == 201, r.text


def test_a_site_shortfall_becomes_a_requisition_in_two_clicks(site: Site) -> None:
    expect_three(site)
    page = admin_page(site)
    page.goto(f"{site.url}/coordinator/needs?campaign_id={CAMPAIGN}")
    row = page.locator(f"#need-{SITE}")
    assert row.locator("td").all_inner_texts()[:4] == ["3", "0", "0", "3"]
    site.shot(page, "coordinator-needs")
    row.locator("a").click()
    assert page.input_value("#requesting_location_id") == SITE
    assert page.input_value("#item_id-0") == BASKETS
    assert page.input_value("#quantity-0") == "3"
    page.select_option("#supplying_location_id", "wh-marrakech")
    page.fill("#needed_by", "2099-03-10")
    page.click("button.primary")

    assert "Réquisition envoyée au coordinateur." in page.inner_text(".notice")
    [raised] = site.api.published("requisitions")
    assert raised.data["requesting_location_id"] == SITE
    assert [(ln["item_id"], ln["quantity"]) for ln in raised.data["lines"]] == [(BASKETS, 3)]


def test_the_coordinator_reads_the_needs_in_arabic_from_the_tabs(site: Site) -> None:
    """The coordinator does not raise requisitions: the shortfall shows without a link."""
    expect_three(site)
    page = site.page("coordinator", lang="ar")
    page.goto(f"{site.url}/coordinator")
    page.click("nav.tabs >> text=الاحتياجات")
    assert page.inner_text("h1") == "الاحتياجات"
    assert page.evaluate("document.documentElement.dir") == "rtl"
    row = page.locator(f"#need-{SITE}")
    assert row.locator("td").nth(3).inner_text() == "3"
    assert row.locator("a").count() == 0
    site.shot(page, "coordinator-needs")
