"""The user list, with token hashes for authentication."""

from __future__ import annotations

from sqlalchemy import Connection, Table, update

from events.users import SessionEnded, UserCreated, UserRevoked
from projections.projection import Batch
from projections.sql import upsert
from projections.tables import ended_sessions, users


class UsersProjection:
    name: str = "users"
    streams: tuple[str, ...] = ("users",)
    tables: tuple[Table, ...] = (users, ended_sessions)

    def apply(self, conn: Connection, batch: Batch) -> None:
        for applied in batch:
            envelope, event = applied.envelope, applied.event
            if isinstance(event, UserCreated):
                row = event.model_dump() | {"revoked": False, "created_at": envelope.occurred_at}
                upsert(conn, users, [row], ["username"], replace=list(row))
            elif isinstance(event, UserRevoked):
                conn.execute(
                    update(users).where(users.c.username == event.username).values(revoked=True)
                )
            elif isinstance(event, SessionEnded):
                row = event.model_dump() | {"ended_at": envelope.occurred_at}
                upsert(conn, ended_sessions, [row], ["session_hash"], replace=[])
