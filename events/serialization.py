"""JSON on the wire: envelopes to bytes and back, with upcasting on the way in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

import orjson
from pydantic import ValidationError

from events.base import Event
from events.envelope import Actor, Envelope
from events.registry import event_class
from events.upcasting import MissingUpcaster, upcast

MAX_MESSAGE_BYTES = 1_000_000
EVENT_NAMESPACE = UUID("5b0f3c52-6a43-4a8e-9a55-2f1b7f3de6a1")


class UndecodableMessage(ValueError):
    """Bytes that cannot be read as a known event; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def event_id_for(causation_id: str, index: int, scope: str | None = None) -> UUID:
    """The deterministic id of the `index`-th event caused by a command; `scope` is the
    aggregate the command was decided for, so one client id used for two aggregates gives
    two sets of events (ids decided before scoping had none, and keep theirs)."""
    name = f"{causation_id}#{index}" if scope is None else f"{scope}/{causation_id}#{index}"
    return uuid5(EVENT_NAMESPACE, name)


def wrap(
    event: Event,
    *,
    event_id: UUID,
    occurred_at: datetime,
    recorded_at: datetime,
    actor: Actor,
    correlation_id: str,
    causation_id: str,
    command_digest: str | None = None,
) -> Envelope:
    """Put an event in its envelope."""
    return Envelope(
        event_id=event_id,
        type=event.TYPE,
        version=event.VERSION,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        actor=actor,
        correlation_id=correlation_id,
        causation_id=causation_id,
        data=event.model_dump(mode="json"),
        command_digest=command_digest,
    )


def encode(envelope: Envelope) -> bytes:
    """The envelope as compact JSON bytes."""
    return orjson.dumps(envelope.model_dump(mode="json", exclude_none=True))


Verify = Callable[[Mapping[str, Any]], None]


def decode(raw: bytes | None, verify: Verify | None = None) -> tuple[Envelope, Event]:
    """Read bytes as an envelope and its current-version event, or raise UndecodableMessage.

    `verify` (a key ring's, see events/signing.py) checks the message's own JSON once it is
    known to be an event this reader can read, and raises to refuse it."""
    payload = payload_of(raw)
    envelope, event = validated(payload)
    if verify is not None:
        verify(payload)
    return envelope, event


def payload_of(raw: bytes | None) -> Any:
    """The message's JSON, or UndecodableMessage when it is empty, too large or not JSON."""
    if raw is None:
        raise UndecodableMessage("empty message")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise UndecodableMessage(f"message of {len(raw)} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise UndecodableMessage(f"not JSON: {exc}") from exc


def validated(payload: Any) -> tuple[Envelope, Event]:
    """The envelope and current-version event pydantic reads in a message's JSON (the
    contract), or UndecodableMessage naming the first thing wrong."""
    try:
        envelope = Envelope.model_validate(payload)
    except ValidationError as exc:
        raise UndecodableMessage(f"bad envelope: {_first_error(exc)}") from exc
    return envelope, _event_of(envelope)


def _event_of(envelope: Envelope) -> Event:
    cls = event_class(envelope.type)
    if cls is None:
        raise UndecodableMessage(f"unknown event type {envelope.type!r}")
    if envelope.version > cls.VERSION:
        raise UndecodableMessage(
            f"{envelope.type} v{envelope.version} is newer than this reader (v{cls.VERSION})"
        )
    try:
        data = upcast(envelope.type, envelope.version, cls.VERSION, envelope.data)
        return cls.model_validate(data)
    except (MissingUpcaster, KeyError) as exc:
        raise UndecodableMessage(f"cannot upcast {envelope.type} v{envelope.version}") from exc
    except ValidationError as exc:
        raise UndecodableMessage(f"bad {envelope.type} data: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(root)"
    return f"{where}: {err['msg']}"
