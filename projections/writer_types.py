"""An event as a projection receives it: decoded, with where it sits in the log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from events import Envelope, Event


class Applied(NamedTuple):
    """Made once per event of a batch (a tuple: no setattr per field, as a frozen dataclass
    has); `occurred_at` is when the event happened, as stored (naive UTC)."""

    partition: int
    offset: int
    envelope: Envelope
    event: Event
    occurred_at: datetime


def utc(moment: datetime) -> datetime:
    """Times are stored as naive UTC, so both databases compare them the same way."""
    return moment.astimezone(UTC).replace(tzinfo=None)
