"""Managing users from the command line: events in, tokens out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine, select

from events.envelope import SYSTEM
from events.users import Role, UserCreated, UserRevoked
from projections.tables import users
from services.app.reading import is_applied
from services.runtime.passwords import hash_password
from services.runtime.publisher import EventPublisher, Position
from services.runtime.recording import record
from services.runtime.settings import Settings
from services.runtime.tokens import new_token, token_hash


def _record(
    publisher: EventPublisher, event: UserCreated | UserRevoked, command_id: str
) -> Position:
    now = datetime.now(UTC)
    return record(
        publisher, [event], command_id=command_id, actor=SYSTEM, occurred_at=now, recorded_at=now
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

    A password (for the web sign-in) is optional; only its hash is recorded."""
    token = new_token()
    event = UserCreated(
        username=username,
        role=cast(Role, role),
        warehouses=list(warehouses),
        sites=list(sites),
        donors=list(donors),
        token_hash=token_hash(token, settings.token_pepper),
        password_hash=(
            hash_password(password, settings.token_pepper, [username, settings.organisation])
            if password
            else None
        ),
    )
    return token, _record(publisher, event, f"user:{username}:{event.token_hash[:16]}")


def revoke_user(publisher: EventPublisher, username: str) -> Position:
    """Record that a user's token no longer works."""
    return _record(publisher, UserRevoked(username=username), f"revoke:{username}:{time.time_ns()}")


def list_users(engine: Engine) -> list[dict[str, Any]]:
    """Users without their token and password hashes."""
    with engine.connect() as conn:
        rows = conn.execute(select(users).order_by(users.c.username)).mappings().all()
    secret = ("token_hash", "password_hash")
    return [{k: v for k, v in r.items() if k not in secret} for r in rows]


def wait_projected(engine: Engine, settings: Settings, position: Position, timeout: float) -> bool:
    """Block until the position is applied (used by the CLI, outside any event loop)."""
    deadline = time.monotonic() + timeout
    while not is_applied(engine, settings, position):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
