"""The household key store: a table outside the projections (never rebuilt, never exported)."""

from __future__ import annotations

from sqlalchemy import Engine, delete, select

from projections.sql import insert_into
from projections.tables import household_keys


class SqlKeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, household_id: str, wrapped: bytes) -> bool:
        """Store the key unless the household has one; whether this call stored it."""
        with self.engine.begin() as conn:
            stmt = insert_into(conn, household_keys).values(
                household_id=household_id, wrapped_key=wrapped
            )
            stored = conn.execute(stmt.on_conflict_do_nothing(index_elements=["household_id"]))
            return bool(stored.rowcount)

    def get(self, household_id: str) -> bytes | None:
        with self.engine.connect() as conn:
            return conn.scalar(
                select(household_keys.c.wrapped_key).where(
                    household_keys.c.household_id == household_id
                )
            )

    def delete(self, household_id: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(household_keys).where(household_keys.c.household_id == household_id)
            )
        return bool(result.rowcount)
