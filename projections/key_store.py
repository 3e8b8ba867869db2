"""The household key store: a table outside the projections (never rebuilt, never exported)."""

from __future__ import annotations

from sqlalchemy import Engine, delete, select

from projections.sql import upsert
from projections.tables import household_keys


class SqlKeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, household_id: str, wrapped: bytes) -> None:
        with self.engine.begin() as conn:
            upsert(
                conn,
                household_keys,
                [{"household_id": household_id, "wrapped_key": wrapped}],
                ["household_id"],
            )

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
