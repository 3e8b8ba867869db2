"""Envelopes for tests: an event as a command would have recorded it."""

from __future__ import annotations

from datetime import UTC, datetime

from events import Actor, Envelope, Event
from events.serialization import event_id_for, wrap

EARTHQUAKE_MORNING = datetime(2023, 9, 9, 8, 0, tzinfo=UTC)
COORDINATOR = Actor(user_id="fatima.coordinator", role="coordinator")


def recorded(
    event: Event,
    *,
    command_id: str,
    index: int = 0,
    occurred_at: datetime = EARTHQUAKE_MORNING,
    actor: Actor = COORDINATOR,
) -> tuple[Envelope, Event]:
    """The `index`-th event of command `command_id`, in its envelope, paired with the event."""
    envelope = wrap(
        event,
        event_id=event_id_for(command_id, index),
        occurred_at=occurred_at,
        recorded_at=occurred_at,
        actor=actor,
        correlation_id=command_id,
        causation_id=command_id,
    )
    return envelope, event
