"""The needs page without a browser: Fatima and Mohamed are expected at Al Haouz for the
Ramadan baskets; the admin reads what Al Haouz lacks, follows its link to a requisition form
filled with it, and sends it to Casablanca. In French, Arabic and English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.api import SITE, ApiHarness
from tests.unit.test_households_api import FATIMA, MOHAMED
from tests.unit.test_requisition_pages import csrf_of, sign_in

CASABLANCA, BASKETS, RAMADAN = "wh-casablanca", "ramadan-basket", "ramadan-2026"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        opened = harness.post("coordinator", "/v1/campaigns", {
            "id": RAMADAN, "name": "Ramadan 2026", "item_id": BASKETS,
            "quantity_per_household": 3, "starts_on": "2020-01-01", "ends_on": "2099-12-31",
            "region_codes": ["MA07"],
        })  # fmt: skip
        assert opened.status_code == 201, opened.text
        for person in (FATIMA, MOHAMED):
            r = harness.post("agent", "/v1/households", person.body(site_id=SITE))
            assert r.status_code == 201, r.text
        yield harness


def needs_page(browser: TestClient) -> str:
    page = browser.get(f"/coordinator/needs?campaign_id={RAMADAN}")
    assert page.status_code == 200, page.text
    return page.text


def test_a_site_shortfall_becomes_a_requisition_through_the_form(api: ApiHarness) -> None:
    admin = sign_in(api, "admin")
    page = needs_page(admin)
    row = re.search(rf'<tr id="need-{SITE}">(.*?)</tr>', page, re.S)
    assert row, page
    assert re.findall(r'class="num">(?:<strong>)?(\d+)', row.group(1)) == ["6", "0", "0", "6"]
    link = re.search(r'href="(/requisitions/new\?[^"]+)"', row.group(1))
    assert link
    form = admin.get(link.group(1).replace("&amp;", "&"))
    assert form.status_code == 200, form.text
    assert f'<option value="{SITE}" selected>' in form.text
    assert f'<option value="{BASKETS}" selected>' in form.text
    assert 'name="quantity-0" inputmode="numeric" pattern="[0-9]*" value="6"' in form.text
    form_id = re.search(r'name="form_id" value="([^"]+)"', form.text)
    assert form_id
    sent = admin.post("/requisitions/new", data={
        "csrf": csrf_of(form.text), "form_id": form_id.group(1), "requesting_location_id": SITE,
        "supplying_location_id": CASABLANCA, "item_id-0": BASKETS, "quantity-0": "6",
        "needed_by": "2099-03-10",
    }, follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303, sent.text
    [raised] = api.get("admin", "/v1/requisitions").json()["items"]
    assert (raised["requesting_location_id"], raised["lines"][0]["requested"]) == (SITE, 6)


def test_the_coordinator_reads_the_needs_without_a_link_to_raise_a_requisition(
    api: ApiHarness,
) -> None:
    page = needs_page(sign_in(api, "coordinator"))
    assert f'<tr id="need-{SITE}">' in page
    assert "/requisitions/new" not in page


@pytest.mark.parametrize(
    ("language", "title", "link"),
    [("fr", "Besoins", "Demander ce manque"), ("ar", "الاحتياجات", "طلب هذا النقص"),
     ("en", "Needs", "Request this shortfall")],
)  # fmt: skip
def test_the_needs_page_speaks_french_arabic_and_english(
    api: ApiHarness, language: str, title: str, link: str
) -> None:
    admin = sign_in(api, "admin")
    admin.get(f"/lang/{language}?next=/coordinator/needs")
    page = needs_page(admin)
    assert f"<h1>{title}</h1>" in page and link in page
    assert FATIMA.head_name not in page and MOHAMED.head_name not in page
