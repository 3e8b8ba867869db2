"""How far a date a client gives is believed: clocks disagree by a few minutes, and nothing
this system records happened before 2000 or is planned beyond 2100."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

CLOCKS_DIFFER_BY = timedelta(minutes=5)
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
FIRST_MOMENT = datetime(FIRST_DAY.year, 1, 1, tzinfo=UTC)


def plausible_day(day: date) -> bool:
    """A day within the years 2000 to 2100."""
    return FIRST_DAY <= day <= LAST_DAY
