"""Managing users from the command line: commands in, tokens out.

The command line sends its commands to the users' writer (the user-commands topic, as the
Kafka admin), so that each partition of the users topic keeps one writer and one hash chain
(events/chain.py); it needs no user, so the first admin can be made before anyone can sign
in, and a lost admin token or a rotated pepper can be repaired: `aid users create` asks for
a name to be created anew even when taken. Otherwise the rules are the users' writer's own
(`services.domain.users`): the same scopes per role, the same credentials and hashes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast, get_args

from sqlalchemy import Engine

from events.envelope import SYSTEM
from events.users import Role
from projections import queries, users_queries
from projections.paging import Paging
from services.app.kept_rows import REFERENCE, KeptRows
from services.app.ports import Ports
from services.app.reading import is_applied
from services.app.users import Scopes, scopes_exist
from services.domain.commands import Command, CommandEnvelope, Reply
from services.domain.decisions import Refused
from services.domain.users.credentials import hash_password, new_token, token_hash
from services.domain.users.decider import (
    Account,
    CreateUser,
    RevokeUser,
    UserCommand,
    UsersDecider,
)
from services.runtime.command_bus import DecisionTimeout, KafkaCommandBus
from services.runtime.command_writer import CommandWriter
from services.runtime.publisher import EventPublisher, KafkaEventPublisher, Position
from services.runtime.recording import record
from services.runtime.settings import Settings

# How long the command line waits for a worker to decide its command.
DECIDE_WITHIN = 60.0


class NotDecidedYet(DecisionTimeout):
    """The user's command is in the log, but no worker decided it in time; `token` works once
    one has."""

    def __init__(self, token: str) -> None:
        super().__init__("no worker decided the command in time; it will be when one runs")
        self.token = token


def _decide(
    settings: Settings, publisher: EventPublisher, command: UserCommand, client_id: str
) -> Position:
    """The position of the command's event once the users' writer decided it; its refusal
    (a DomainError) otherwise, or DecisionTimeout when no worker decided it in time (it will
    be decided when one runs)."""
    now = datetime.now(UTC)
    if not isinstance(publisher, KafkaEventPublisher):  # an in-memory log (tests)
        events = UsersDecider.decide(Account(), command, now)
        return record(
            publisher, events, command_id=client_id, actor=SYSTEM, occurred_at=now, recorded_at=now
        )
    envelope = CommandEnvelope.of(command, client_id, SYSTEM, now)
    reply = _in_thread(lambda: _send(settings, command, envelope))
    if reply.status != "accepted" or reply.position is None:
        raise Refused(reply.error or reply.status, reply.message or reply.status)
    return Position.parse(reply.position)


async def _send(settings: Settings, command: Command, envelope: CommandEnvelope) -> Reply:
    """Send, and send again (the same message: decided once) while no worker answers, for up
    to DECIDE_WITHIN seconds: a worker just started takes a while to hold its partitions."""
    bus = KafkaCommandBus(settings, CommandWriter(settings))
    await bus.start()
    deadline = time.monotonic() + DECIDE_WITHIN
    try:
        while True:
            try:
                return await bus.send(command, envelope)
            except DecisionTimeout:
                if time.monotonic() >= deadline:
                    raise
    finally:
        await bus.stop()


def _in_thread(run: Callable[[], Coroutine[Any, Any, Reply]]) -> Reply:
    """Run a coroutine to its end on a loop of its own (callers may be inside one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(run())).result()


ROLES: tuple[str, ...] = get_args(Role)


def unknown_role(role: str) -> str | None:
    """Why `role` is no role, in one line naming those there are; None when it is one."""
    if role in ROLES:
        return None
    return f"unknown role {role!r}: give one of {', '.join(ROLES)}"


@dataclass
class _Reads:
    """What the application's scope check reads: the read models, nothing kept, nothing sent."""

    settings: Settings
    engine: Engine
    last_written: dict[tuple[str, int], int] = field(default_factory=dict)
    reference: KeptRows = field(default_factory=lambda: KeptRows(REFERENCE, 0))


def check_scopes(settings: Settings, engine: Engine, scopes: Scopes) -> bool:
    """Refuse (Invalid, in the words of `POST /v1/users`) a warehouse, site or donor that is
    not registered. False when nothing was checked: no location is registered yet, as when
    the first users are made before any reference data (a new system's operators, made
    before their warehouses are; the token works once they are)."""
    if not (scopes.warehouses or scopes.sites or scopes.donors):
        return True
    if not queries.all_locations(engine, Paging(limit=1)).items:
        return False
    asyncio.run(scopes_exist(cast(Ports, _Reads(settings, engine)), scopes))
    return True


def create_user(
    settings: Settings,
    publisher: EventPublisher,
    username: str,
    role: str,
    *,
    warehouses: Sequence[str] = (),
    sites: Sequence[str] = (),
    donors: Sequence[str] = (),
    password: str | None = None,
) -> tuple[str, Position]:
    """Record a new user; returns their token (shown once) and the event's position.

    A password (for the web sign-in) is optional; only its hash is recorded. Scopes the role
    does not use are rejected (`Rejected`), as is a weak password (`WeakPassword`)."""
    token = new_token()
    pepper = settings.token_pepper
    command = CreateUser(
        username=username,
        role=cast(Role, role),
        warehouses=list(warehouses),
        sites=list(sites),
        donors=list(donors),
        token_hash=token_hash(token, pepper),
        password_hash=(
            hash_password(password, pepper, [username, settings.organisation]) if password else None
        ),
        anew=True,
    )
    client_id = f"user:{username}:{command.token_hash[:16]}"
    try:
        return token, _decide(settings, publisher, command, client_id)
    except DecisionTimeout as exc:
        raise NotDecidedYet(token) from exc


def revoke_user(settings: Settings, publisher: EventPublisher, username: str) -> Position:
    """Record that a user's token no longer works (refused when no such user is active)."""
    command = RevokeUser(username=username)
    return _decide(settings, publisher, command, f"revoke:{username}:{time.time_ns()}")


def list_users(engine: Engine) -> list[dict[str, Any]]:
    """Users without their token and password hashes."""
    return users_queries.all_users(engine).items


def wait_projected(engine: Engine, settings: Settings, position: Position, timeout: float) -> bool:
    """Block until the position is applied (used by the CLI, outside any event loop)."""
    deadline = time.monotonic() + timeout
    while not is_applied(engine, settings, position):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
