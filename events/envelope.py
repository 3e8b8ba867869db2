"""The envelope every event travels in (the public contract's field names)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Actor(BaseModel):
    """Who caused an event: a user and the role they acted in."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    role: str


SYSTEM = Actor(user_id="system", role="system")


class Envelope(BaseModel):
    """One event on the wire: metadata plus the event's own `data`."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    type: str
    version: int
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    actor: Actor
    correlation_id: str
    causation_id: str
    data: dict[str, Any]
    command_digest: str | None = None
    # The writer's signature (see events/signing.py): the id of the key and the MAC, over the
    # canonical form of every other field. Absent only on events written before signing.
    key_id: str | None = None
    signature: str | None = None
    # The hash of the previous event of the same topic-partition (events/chain.py); absent
    # only on events written before chaining.
    prev: str | None = None
