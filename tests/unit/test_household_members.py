"""A household's members counted in plain numbers: by sex and age band on the day of the
event, and those living with a disability. Pure."""

from __future__ import annotations

from datetime import date

import pytest

from events.households import MemberCounts
from services.domain.households.members import Member, age_band, member_counts

SPRING_2026 = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("born", "band"),
    [(2026, "0_4"), (2022, "0_4"), (2021, "5_17"), (2009, "5_17"), (2008, "18_59"),
     (1967, "18_59"), (1966, "60_plus"), (1931, "60_plus")],
)  # fmt: skip
def test_the_age_band_is_that_of_the_age_reached_in_the_year_of_the_count(
    born: int, band: str
) -> None:
    assert age_band(born, SPRING_2026) == band


def test_a_family_of_six_in_amizmiz_is_counted_by_sex_age_band_and_disability() -> None:
    family = [
        Member("m", 1958, "head", "moderate"),
        Member("f", 1962, "spouse"),
        Member("f", 1990, "child"),
        Member("m", 2012, "child", "severe"),
        Member("f", 2023, "other"),
        Member("m", 1940, "parent"),
    ]

    counted = member_counts(family, SPRING_2026)

    assert counted == MemberCounts(
        counted_on=SPRING_2026, females_0_4=1, females_18_59=1, females_60_plus=1, males_5_17=1,
        males_60_plus=2,
        disabled_members=2, severely_disabled_members=1,
    )  # fmt: skip
    assert counted.members == 6


def test_the_same_family_counted_five_years_later_has_grown_older() -> None:
    family = [Member("f", 2023, "child"), Member("m", 1967, "head")]

    now, later = member_counts(family, SPRING_2026), member_counts(family, date(2031, 1, 5))

    assert (now.females_0_4, now.males_18_59) == (1, 1)
    assert (later.females_5_17, later.males_60_plus, later.females_0_4) == (1, 1, 0)
    assert not now.same_counts(later)
    assert now.same_counts(member_counts(family, date(2026, 12, 31)))


def test_a_member_born_after_the_year_of_the_count_is_refused() -> None:
    with pytest.raises(ValueError, match="not born yet"):
        member_counts([Member("f", 2027, "child")], SPRING_2026)
