"""The user list, with token hashes for authentication.

A user's events share a partition (keyed by username), so they arrive in the order they were
decided: each one updates the row the creation made (nothing when there is none)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, update

from events.users import (
    SessionEnded,
    UserCreated,
    UserPasswordReset,
    UserRevoked,
    UserScopesChanged,
)
from projections.projection import Batch
from projections.sql import upsert
from projections.tables import ended_sessions, users


class UsersProjection:
    name: str = "users"
    streams: tuple[str, ...] = ("users",)
    tables: tuple[Table, ...] = (users, ended_sessions)
    keyed_by_event: bool = False
    write_only: bool = False
    reads_views: bool = False

    def apply(self, conn: Connection, batch: Batch, replay: bool = False) -> None:
        for applied in batch:
            envelope, event = applied.envelope, applied.event
            if isinstance(event, UserCreated):
                row = event.model_dump() | {"revoked": False, "created_at": envelope.occurred_at}
                upsert(conn, users, [row], ["username"], replace=list(row))
            elif isinstance(event, UserRevoked):
                _change(conn, event.username, revoked=True)
            elif isinstance(event, UserScopesChanged):
                _change(conn, event.username, **event.model_dump(exclude={"username"}))
            elif isinstance(event, UserPasswordReset):
                new = event.model_dump(exclude={"username"}, exclude_none=True)
                _change(conn, event.username, **new)
            elif isinstance(event, SessionEnded):
                row = event.model_dump() | {"ended_at": envelope.occurred_at}
                upsert(conn, ended_sessions, [row], ["session_hash"], replace=[])


def _change(conn: Connection, username: str, **values: Any) -> None:
    conn.execute(update(users).where(users.c.username == username).values(**values))
