"""A coordinator reads the social watch in French and in Arabic: the registry per province
and target group, with the scenario's few households hidden as fewer than 5, and the HXL
export downloaded."""

from __future__ import annotations

import pytest

from tests.e2e.scenario import Site

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("lang", "tab", "title", "hidden"),
    [
        ("fr", "Veille sociale", "Veille sociale", "<5"),
        ("ar", "اليقظة الاجتماعية", "اليقظة الاجتماعية", "<5"),
    ],
)
def test_a_coordinator_reads_the_social_watch(
    site: Site, lang: str, tab: str, title: str, hidden: str
) -> None:
    page = site.page("coordinator", lang=lang)
    page.click(f"nav.tabs >> text={tab}")

    assert page.inner_text("h1") == title
    assert page.evaluate("document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")
    registered = page.inner_text("table.watch-registered")
    assert "Marrakech-Safi" in registered or "مراكش" in registered
    assert hidden in registered  # two households in the scenario: never shown as such
    site.shot(page, "coordinator-social-watch")

    with page.expect_download() as download:
        page.click("a[href^='/coordinator/reports/social-watch.csv']")
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("#adm1+name,#adm1+code,#adm2+name,#adm2+code,#population+hh")
    assert len(lines) >= 3
