"""Policies: what an event recorded by one aggregate's writer asks of another's.

Each is a pure function from the event (and, for a flow of several steps, the answers so far)
to the next command. The command's id derives from the event, so reacting again to the same
event (at-least-once, after a crash) sends the same command and gets the decision already
recorded, never a second one.
"""

from __future__ import annotations

from events import Envelope
from services.domain.commands import Command, CommandEnvelope

Sent = tuple[Command, CommandEnvelope]


def caused_by(command: Command, cause: Envelope, client_id: str) -> Sent:
    """The command on the wire: the causing event's actor, time and correlation, and a
    client id derived from that event."""
    return command, CommandEnvelope.of(
        command,
        client_id,
        cause.actor,
        cause.occurred_at,
        correlation_id=cause.correlation_id,
    )
