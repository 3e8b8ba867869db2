"""Sending a command from a route and turning the decision into an HTTP answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fastapi import Response

from api.auth import User
from api.deps import Services
from api.errors import Conflict, Invalid
from api.metrics import count_decision
from services.commands import Command, CommandEnvelope, Reply
from services.logs import current_correlation_id
from services.publisher import Position


async def decide(
    services: Services,
    command: Command,
    client_id: str,
    user: User,
    now: datetime,
    *,
    reused_id: tuple[str, str] | None = None,
) -> Reply:
    """The accepted reply, or the refusal (409) or rejection (422) as an ApiError.

    `reused_id` is the (error, message) to answer when the id was already used
    for a different request, where the domain has a better word for it."""
    envelope = CommandEnvelope.of(
        command, client_id, user.actor, now, correlation_id=current_correlation_id()
    )
    reply = await services.bus.send(command, envelope)
    count_decision(command.TYPE, reply)
    details = dict(reply.details)
    if reply.status == "refused" and reply.error == "idempotency_conflict" and reused_id:
        raise Conflict(reused_id[1], error=reused_id[0])
    if reply.status == "refused":
        raise Conflict(reply.message or "refused", error=reply.error or "conflict", **details)
    if reply.status == "rejected":
        field = details.pop("field", None)
        error = Invalid(reply.message or "invalid", field=field, **details)
        error.error = reply.error or error.error
        raise error
    if reply.position:
        services.wrote(Position.parse(reply.position))
    return reply


async def decide_many(
    services: Services, commands: Sequence[tuple[Command, str]], user: User, now: datetime
) -> list[Reply]:
    """The replies to several commands sent together (refusals are replies, not errors)."""
    correlation_id = current_correlation_id()
    pairs = [
        (command, CommandEnvelope.of(command, client_id, user.actor, now, correlation_id))
        for command, client_id in commands
    ]
    replies = await services.bus.send_many(pairs)
    for (command, _), reply in zip(pairs, replies, strict=True):
        count_decision(command.TYPE, reply)
        if reply.position:
            services.wrote(Position.parse(reply.position))
    return replies


TAKEN = ("already_exists", "this id is already registered with other values; choose another id")


async def register(
    services: Services,
    command: Command,
    client_id: str,
    user: User,
    now: datetime,
    response: Response,
) -> Reply:
    """Record something registered once per id: 201 the first time, 200 for the same again."""
    reply = await decide(services, command, client_id, user, now, reused_id=TAKEN)
    if not reply.events or reply.replayed:
        response.status_code = 200
    return reply
