"""A crisis coordinator follows the earthquake operation: a convoy dispatched, delivered and
closed from the board, the campaign's coverage, the 4W report downloaded, a duplicate
resolved; a convoy of two lines planned for a new operation, which is then closed."""

from __future__ import annotations

import pytest

from tests.e2e.scenario import CAMPAIGN, CONVOY, HOUSEHOLDS, Site, ok
from tests.support.api import SITE

pytestmark = pytest.mark.browser
HOUSEHOLD = HOUSEHOLDS["HA1000"]


def test_a_coordinator_moves_a_convoy_and_reads_coverage(site: Site) -> None:
    page = site.page("coordinator")
    assert page.url.endswith("/coordinator")
    assert "prévu" in page.inner_text("table")
    site.shot(page, "coordinator-board")

    page.click(f"button[aria-label='Faire partir {CONVOY}']")
    assert "Convoi parti." in page.inner_text(".notice")
    assert "en route" in page.inner_text("table")
    page.click(f"button[aria-label='Livré {CONVOY}']")
    assert "Livraison enregistrée." in page.inner_text(".notice")
    assert "livré" in page.inner_text("table")
    page.click(f"button[aria-label='Clôturer {CONVOY}']")
    assert "Convoi clôturé." in page.inner_text(".notice")
    assert "clôturé" in page.inner_text("table")

    page.click("nav.tabs >> text=Couverture des campagnes")
    summary = page.inner_text(".summary")
    assert "0 ménages atteints sur 2 éligibles" in summary
    assert "Marrakech-Safi" in page.inner_text("table")
    site.shot(page, "coordinator-coverage")

    with page.expect_download() as download:
        page.click("text=4W : qui fait quoi, où, quand >> nth=0")
    content = download.value.path().read_text(encoding="utf-8")
    assert content.splitlines()[1].startswith("#org")


def test_a_coordinator_opens_an_operation_and_plans_a_convoy(site: Site) -> None:
    page = site.page("coordinator")
    page.click("nav.tabs >> text=Ouvrir une opération")
    page.fill("#id", "Inondations Safi!")
    page.fill("#name", "Inondations de Safi")
    page.select_option("#kind", "flood")
    page.select_option("#region_codes", ["MA07"])
    page.click("button.primary")
    assert page.inner_text("#err-id") == "Lettres minuscules, chiffres, points, tirets seulement."

    page.fill("#id", "op-inondations-safi")
    page.click("button.primary")
    assert "Opération ouverte." in page.inner_text(".notice")

    page.click("nav.tabs >> text=Planifier un convoi")
    page.select_option("#operation_id", "op-inondations-safi")
    page.select_option("#from_location_id", "wh-marrakech")
    page.select_option("#item_id-0", "ramadan-basket")
    page.fill("#quantity-0", "60")
    page.select_option("#item_id-2", "flour-25kg")
    page.fill("#quantity-2", "5")
    site.shot(page, "coordinator-convoy-form")
    page.click("button.primary")
    assert "Convoi planifié." in page.inner_text(".notice")
    board = page.inner_text("table")
    assert "Entrepôt Marrakech → Point de distribution Amizmiz" in board and "65" in board
    site.shot(page, "coordinator-new-convoy")

    page.click("summary >> text=Clôturer l'opération")
    page.fill("#close-reason", "décrue")
    page.click("button >> text=Clôturer l'opération")
    assert "Opération clôturée." in page.inner_text(".notice.ok")
    assert "Clôturée le" in page.inner_text("main")


def test_the_coordinator_pages_in_arabic(site: Site) -> None:
    page = site.page("coordinator", "ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert "مخطط" in page.inner_text("table")
    site.shot(page, "coordinator-board")
    page.goto(f"{site.url}/coordinator/coverage")
    site.shot(page, "coordinator-coverage")
    page.goto(f"{site.url}/coordinator/duplicates")
    assert "تكرارات للمعالجة" in page.inner_text("h1")


def test_a_coordinator_resolving_a_duplicate(site: Site) -> None:
    """A basket handed at Amizmiz, then a second record of that household synced from an
    offline tablet and flagged: the coordinator accepts it as an exception (a family of
    eleven got two baskets); it leaves the list and coverage counts both baskets, one
    household."""
    record = {"id": "dist-haouz-1", "campaign_id": CAMPAIGN, "household_id": HOUSEHOLD,
              "site_id": SITE, "quantity": 1}  # fmt: skip
    ok(site.api.post("agent", "/v1/distributions", record))
    synced = ok(site.api.post("agent", "/v1/distributions/batch",
                              {"records": [record | {"id": "dist-haouz-2"}]}))  # fmt: skip
    assert synced["results"][0]["status"] == "duplicate"

    page = site.page("coordinator")
    page.click("nav.tabs >> text=Doublons")
    assert "dist-haouz-2" in page.inner_text("table")
    site.shot(page, "coordinator-duplicates")
    page.fill("#reason-1", "famille de onze, deux paniers")
    page.click("button[name=resolution][value=accept]")

    assert "Accepté comme exception" in page.inner_text(".notice")
    assert "Aucun doublon." in page.inner_text("main")
    page.click("nav.tabs >> text=Couverture des campagnes")
    summary = page.inner_text(".summary")
    assert "1 ménages atteints sur 2 éligibles ; 2 unités distribuées." in summary
