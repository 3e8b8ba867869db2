"""Days and moments a query may ask for: within the calendar with a day to spare at each end,
so that converting one from any zone to UTC, or taking the day after, stays in the calendar
(a 422 naming the field, rather than an OverflowError)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, TypeVar

from pydantic import AfterValidator

from api.schemas.common import Timestamp

EARLIEST = date(1, 1, 2)
LATEST = date(9999, 12, 30)
RANGE = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"

When = TypeVar("When", date, datetime)


def in_calendar(value: When) -> When:
    """The day or moment (its own date, in its own zone), if it falls within RANGE."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must fall {RANGE}")
    return value


Moment = Annotated[Timestamp, AfterValidator(in_calendar)]
"""A moment asked for, with its zone, within RANGE."""

Day = Annotated[date, AfterValidator(in_calendar)]
"""A day asked for, within RANGE."""
