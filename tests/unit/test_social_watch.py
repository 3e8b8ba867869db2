"""The social watch: per province and target group, households and people registered,
eligible and reached; the precarity bands and the months; never a count from 1 to 4."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import hxl
import pytest

from projections.social_watch_writer import score_band
from services.domain.social_watch import Month, rising, shown
from tests.support.api import ApiHarness
from tests.unit.test_households_api import (  # noqa: F401 (fixtures)
    RAMADAN,
    Person,
    api,
    distribute,
)
from tests.unit.test_web_ui import PASSWORD, sign_in

# six households with children in Al Haouz (MA0701), the first two with elderly members
# too; one of women in difficulty in Chichaoua (MA0706); all of three members but the last
AL_HAOUZ = [
    Person(f"hh-haouz-{n}", f"Head {n}", "MA07", "MA0701", national_id=f"XA{100000 + n}",
           groups=("children", "elderly") if n < 2 else ("children",))
    for n in range(6)
]  # fmt: skip
CHICHAOUA = Person("hh-chichaoua-9", "Head 9", "MA07", "MA0706", national_id="XB100009",
                   groups=("women",))  # fmt: skip
SCORES = [12.0, 18.0, 25.0, 31.5, 33.0, 47.0]


@pytest.fixture
def watched(api: ApiHarness) -> ApiHarness:  # noqa: F811
    for person, score in zip(AL_HAOUZ, SCORES, strict=True):
        r = api.post("agent", "/v1/households", person.body(size=3, precarity_score=score))
        assert r.status_code == 201, r.text
    r = api.post("agent", "/v1/households", CHICHAOUA.body(size=5))
    assert r.status_code == 201, r.text
    api.project_published()
    for n, person in enumerate(AL_HAOUZ[:5]):
        distribute(api, f"dist-{n}", person.household_id)
    api.project_published()
    return api


def groups_of(area: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        g["target_group"]: (g["households"], g["people"], g["eligible_households"],
                            g["reached_households"])
        for g in area["groups"]
    }  # fmt: skip


def test_counts_per_province_and_group_with_small_ones_hidden(watched: ApiHarness) -> None:
    r = watched.get("coordinator", "/v1/social-watch", {"campaign_id": RAMADAN})

    assert r.status_code == 200, r.text
    body = r.json()
    assert body["smallest_shown"] == 5
    haouz, chichaoua = body["areas"]
    assert (haouz["region_code"], haouz["province_code"]) == ("MA07", "MA0701")
    assert groups_of(haouz) == {
        "all": (6, 18, 6, 5),
        "children": (6, 18, 6, 5),
        "women": (0, 0, 0, 0),
        "elderly": (None, 6, None, None),  # two households: hidden; six people: shown
        "disability": (0, 0, 0, 0),
    }
    assert groups_of(chichaoua)["all"] == (None, 5, None, 0)
    # bands 10–19: 2 (hidden), 20–29: 1, 30–39: 2, 40–49: 1; Chichaoua's has no score
    assert haouz["precarity"] == [
        {"band": 10, "households": None}, {"band": 20, "households": None},
        {"band": 30, "households": None}, {"band": 40, "households": None},
    ]  # fmt: skip
    assert chichaoua["precarity"] == [{"band": None, "households": None}]
    [march] = haouz["months"]
    assert march == {"month": "2026-03-01", "registered": 6,
                     "mean_precarity_score": round(sum(SCORES) / 6, 1)}  # fmt: skip
    assert chichaoua["months"][0]["mean_precarity_score"] is None  # none scored
    assert haouz["rising"] == []


def test_without_a_campaign_nothing_is_eligible_and_the_registry_still_counts(
    watched: ApiHarness,
) -> None:
    body = watched.get("auditor", "/v1/social-watch").json()

    assert body["campaign_id"] is None
    assert groups_of(body["areas"][0])["all"] == (6, 18, 0, 0)
    unknown = watched.get("coordinator", "/v1/social-watch", {"campaign_id": "nope"})
    assert unknown.status_code == 404, unknown.text
    assert watched.get("agent", "/v1/social-watch").status_code == 403


def test_the_hxl_export_parses_and_its_totals_equal_the_registry(watched: ApiHarness) -> None:
    r = watched.get("coordinator", "/v1/reports/social-watch.csv", {"campaign_id": RAMADAN})

    assert r.status_code == 200, r.text
    rows = list(hxl.data(io.BytesIO(r.content), hxl.InputOptions(allow_local=True)))
    every = "-children-f-elderly-disabled"
    assert [row.get("#adm2+code") for row in rows] == ["MA0701", "MA0706"]
    assert [row.get(f"#population+hh{every}") for row in rows] == ["6", None]
    assert [row.get(f"#population+ind{every}") for row in rows] == ["18", "5"]
    assert [row.get("#reached+hh+children") for row in rows] == ["5", "0"]
    assert [row.get("#targeted+hh+elderly") for row in rows] == [None, "0"]
    assert rows[0].get("#adm2+name") == "Al Haouz"


@pytest.mark.parametrize(
    ("language", "title", "hidden"),
    [("fr", "Veille sociale", "moins de 5"), ("ar", "اليقظة الاجتماعية", "أقل من 5")],
)
def test_the_coordinator_page_in_french_and_arabic(
    watched: ApiHarness, language: str, title: str, hidden: str
) -> None:
    watched.create_user("coord.watch", "coordinator", password=PASSWORD)
    sign_in(watched, "coordinator", username="coord.watch", password=PASSWORD)
    watched.client.get(f"/lang/{language}?next=/coordinator/social-watch")

    page = watched.client.get(f"/coordinator/social-watch?campaign_id={RAMADAN}")

    assert page.status_code == 200, page.text
    assert f"<h1>{title}</h1>" in page.text
    registered = page.text[page.text.index("watch-registered") : page.text.index("watch-reached")]
    assert "6 (18)" in registered and hidden in registered
    assert "Head 0" not in page.text and "XA100000" not in page.text


def test_small_counts_are_hidden_and_zero_is_not() -> None:
    assert [shown(n) for n in (0, 1, 4, 5, 120)] == [0, None, None, 5, 120]


def test_score_bands_are_the_tens_and_a_hundred_is_in_the_last() -> None:
    assert [score_band(s) for s in (None, 0, 9.99, 10, 55.5, 99.9, 100)] == [
        -1, 0, 0, 10, 50, 90, 90,
    ]  # fmt: skip


def month(m: int, registered: int, scored: int = 0, mean: float = 0) -> Month:
    return Month(date(2026, m, 1), registered, registered, scored, round(mean * 100 * scored))


def test_rising_registrations_and_precarity_against_the_three_months_before() -> None:
    steady = [month(1, 10, 10, 40), month(2, 12, 12, 41), month(3, 8, 8, 39)]

    assert rising([*steady, month(4, 14, 14, 40)]) == []
    assert rising([*steady, month(4, 15, 15, 40)]) == ["registrations"]  # 15 ≥ 1.5 × 10
    assert rising([*steady, month(4, 10, 10, 35)]) == ["precarity"]  # 40 − 35 ≥ 5
    assert rising([*steady, month(4, 20, 20, 30)]) == ["registrations", "precarity"]
    assert rising(steady) == []  # three months are not a history yet
