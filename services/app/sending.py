"""Sending a command to its aggregate's writer and turning the decision into an outcome."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.app.errors import Conflict, Invalid, NotDecided
from services.app.permissions import User
from services.app.ports import Ports
from services.app.reading import remember_write
from services.domain.commands import Command, CommandEnvelope, Reply
from services.domain.positions import Position
from services.runtime.logs import current_correlation_id

# Who hears of each decision (the API counts them in its metrics), set per request.
decision_listener: ContextVar[Callable[[str, Reply], None] | None] = ContextVar(
    "aid_decision_listener", default=None
)
TAKEN = ("already_exists", "this id is already registered with other values; choose another id")


@dataclass(frozen=True)
class Outcome:
    """What a write did: the thing's id, its events, where to read after, and whether it
    only repeated an earlier request (nothing new was recorded)."""

    id: str
    events: list[dict[str, Any]] = field(default_factory=list)
    position: str | None = None
    repeated: bool = False

    @classmethod
    def of(cls, client_id: str, reply: Reply) -> Outcome:
        return cls(client_id, list(reply.events), reply.position, reply.replayed)

    @classmethod
    def registered(cls, client_id: str, reply: Reply) -> Outcome:
        """Something registered once per id: the same again is a repeat."""
        repeated = reply.replayed or not reply.events
        return cls(client_id, list(reply.events), reply.position, repeated)


def _heard(command_type: str, reply: Reply) -> None:
    listener = decision_listener.get()
    if listener is not None:
        listener(command_type, reply)


async def decide(
    ports: Ports,
    command: Command,
    client_id: str,
    user: User,
    now: datetime,
    *,
    reused_id: tuple[str, str] | None = None,
) -> Reply:
    """The accepted reply, or the refusal (Conflict) or rejection (Invalid).

    `reused_id` is the (error, message) to answer when the id was already used
    for a different request, where the domain has a better word for it."""
    envelope = CommandEnvelope.of(
        command, client_id, user.actor, now, correlation_id=current_correlation_id()
    )
    reply = await ports.bus.send(command, envelope)
    _heard(command.TYPE, reply)
    if reply.status == "refused" and reply.error == "idempotency_conflict" and reused_id:
        raise Conflict(reused_id[1], error=reused_id[0])
    refuse(reply)
    if reply.position:
        remember_write(ports, Position.parse(reply.position))
    return reply


def refuse(reply: Reply) -> None:
    """Raise a refusal as Conflict (409), a rejection as Invalid (422) and a writer's fault as
    NotDecided (503); accepted passes."""
    if reply.status == "failed":
        raise NotDecided(reply.message or "not decided")  # its fault is for the operators
    details = dict(reply.details)
    if reply.status == "refused":
        raise Conflict(reply.message or "refused", error=reply.error or "conflict", **details)
    if reply.status == "rejected":
        field = details.pop("field", None)
        error = Invalid(reply.message or "invalid", field=field, **details)
        error.error = reply.error or error.error
        raise error


async def decide_many(
    ports: Ports, commands: Sequence[tuple[Command, str]], user: User, now: datetime
) -> list[Reply]:
    """The replies to several commands sent together (refusals are replies, not errors)."""
    correlation_id = current_correlation_id()
    pairs = [
        (command, CommandEnvelope.of(command, client_id, user.actor, now, correlation_id))
        for command, client_id in commands
    ]
    replies = await ports.bus.send_many(pairs)
    for (command, _), reply in zip(pairs, replies, strict=True):
        _heard(command.TYPE, reply)
        if reply.position:
            remember_write(ports, Position.parse(reply.position))
    return replies


async def register(
    ports: Ports, command: Command, client_id: str, user: User, now: datetime
) -> Outcome:
    """Record something registered once per id; the same again is a repeat, other values 409."""
    reply = await decide(ports, command, client_id, user, now, reused_id=TAKEN)
    return Outcome.registered(client_id, reply)
