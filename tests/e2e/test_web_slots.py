"""A crisis coordinator sets the Amizmiz site's safe capacity for the Ramadan campaign and
reads the slot plan: the three households the site expects get a slot each, two an hour,
in order; the page in Arabic reads right to left."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest
from playwright.sync_api import expect

from projections.slot_queries import SITE_TIME
from tests.e2e.scenario import CAMPAIGN, Site, ok
from tests.support.api import SITE

pytestmark = pytest.mark.browser
SLOTS = f"/sites/{CAMPAIGN}/{SITE}/slots"


def expected_at_the_site(site: Site) -> None:
    for n in range(3):
        ok(site.api.post("admin", "/v1/households", {
            "id": f"hh-amizmiz-{n:03d}", "registry_number": f"RSU-2026-{n:06d}",
            "head_name": f"Famille Amizmiz {n}", "size": 4, "region_code": "MA07",
            "province_code": "MA0701", "groups": ["children"], "site_id": SITE,
        }))  # fmt: skip
    site.api.project_published()


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_coordinator_sets_a_sites_capacity_and_sees_the_plan(site: Site, lang: str) -> None:
    expected_at_the_site(site)
    page = site.page("coordinator", lang)
    page.goto(f"{site.url}{SLOTS}")
    assert page.locator("#no-plan").count() == 1

    page.fill("#first_day", str(date(2026, 3, 2)))
    page.fill("#day_count", "2")
    page.fill("#opens_at", "9")
    page.fill("#closes_at", "12")
    page.fill("#per_hour", "2")
    page.click("#slot-plan-form button.primary")

    # the click returns once the answer's navigation has begun, not once its page is read
    expect(page.locator(".notice.ok")).to_have_count(1)
    page.wait_for_load_state()
    rows = page.locator("#slots tbody tr")
    assert rows.count() == 6  # two days of three hours
    expected = [rows.nth(i).locator("td").nth(2).inner_text() for i in range(3)]
    assert [e.strip() for e in expected] == ["2", "1", "0"]  # three households, two an hour
    assert page.evaluate("document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")
    site.shot(page, "coordinator-slot-plan")


def test_an_agent_sees_who_the_slot_under_way_expects(site: Site) -> None:
    """The plan opens this very hour (site time) for ten households: the three the site
    expects hold it, one of them served already."""
    now = datetime.now(SITE_TIME)
    if now.minute == 59 and now.second >= 30:  # never straddle the hour's end
        time.sleep(61 - now.second)
        now = datetime.now(SITE_TIME)
    expected_at_the_site(site)
    plan = {"days": [str(now.date())], "opens_at": now.hour, "closes_at": now.hour + 1,
            "per_hour": 10}  # fmt: skip
    headers = site.api.headers("coordinator")
    ok(site.api.client.put(f"/v1/campaigns/{CAMPAIGN}/sites/{SITE}/slot-plan", json=plan,
                           headers=headers))  # fmt: skip
    ok(site.api.post("admin", "/v1/distributions", {
        "id": "dist-slot-now", "campaign_id": CAMPAIGN, "household_id": "hh-amizmiz-001",
        "site_id": SITE, "quantity": 1,
    }))  # fmt: skip

    page = site.page("agent")
    page.goto(f"{site.url}/sites/{CAMPAIGN}/{SITE}")

    under_way = page.inner_text("#slot-now")
    assert f"{now.hour} h" in under_way
    assert "3 attendus, 1 servis, 2 pas encore venus" in under_way
    site.shot(page, "agent-slot-under-way")
