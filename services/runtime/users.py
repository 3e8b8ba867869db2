"""Managing users from the command line: events in, tokens out.

The command line writes the users topic itself (as the Kafka admin), so that the first admin
can be made before anyone can sign in, and a lost admin token or a rotated pepper can be
repaired: a name is created anew even when taken. Otherwise the rules are the users' writer's
own (`services.domain.users`): the same scopes per role, the same credentials and hashes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine

from events import Event
from events.envelope import SYSTEM
from events.users import Role, UserRevoked
from projections import users_queries
from services.app.reading import is_applied
from services.domain.users.credentials import hash_password, new_token, token_hash
from services.domain.users.decider import Account, CreateUser, UsersDecider
from services.runtime.publisher import EventPublisher, Position
from services.runtime.recording import record
from services.runtime.settings import Settings


def _record(publisher: EventPublisher, events: list[Event], command_id: str) -> Position:
    now = datetime.now(UTC)
    return record(
        publisher, events, command_id=command_id, actor=SYSTEM, occurred_at=now, recorded_at=now
    )


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
    )
    events = UsersDecider.decide(Account(), command, datetime.now(UTC))
    return token, _record(publisher, events, f"user:{username}:{command.token_hash[:16]}")


def revoke_user(publisher: EventPublisher, username: str) -> Position:
    """Record that a user's token no longer works."""
    return _record(
        publisher, [UserRevoked(username=username)], f"revoke:{username}:{time.time_ns()}"
    )


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
