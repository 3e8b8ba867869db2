"""Turning decided events into envelopes and appending them to their stream."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from events import Actor, Event
from events.serialization import event_id_for, wrap
from services.runtime.publisher import EventPublisher, Position


def record(
    publisher: EventPublisher,
    events: Sequence[Event],
    *,
    command_id: str,
    actor: Actor,
    occurred_at: datetime,
    recorded_at: datetime,
    correlation_id: str | None = None,
) -> Position:
    """Publish the events of one command; their ids derive from the command id."""
    first = events[0]
    envelopes = [
        wrap(
            event,
            event_id=event_id_for(command_id, index),
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            actor=actor,
            correlation_id=correlation_id or command_id,
            causation_id=command_id,
        )
        for index, event in enumerate(events)
    ]
    return publisher.publish(first.STREAM, first.aggregate_id, envelopes)
