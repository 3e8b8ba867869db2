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
