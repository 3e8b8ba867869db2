"""An event as a projection receives it: decoded, with where it sits in the log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from events import Envelope, Event


@dataclass(frozen=True)
class Applied:
    partition: int
    offset: int
    envelope: Envelope
    event: Event

    @cached_property
    def occurred_at(self) -> datetime:
        """When the event happened, as stored (naive UTC); computed once per event."""
        return utc(self.envelope.occurred_at)


def utc(moment: datetime) -> datetime:
    """Times are stored as naive UTC, so both databases compare them the same way."""
    return moment.astimezone(UTC).replace(tzinfo=None)
