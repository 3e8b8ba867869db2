"""The household key store: wrapped data keys, in a database of their own.

Never in Kafka, never beside the read models: a read-model backup restored after an erasure
must not bring the erased person back, so the keys live apart (`AID_KEY_STORE_URL`, by
default `keys.db` in the data dir) and are backed up on their own terms (README).
"""

from __future__ import annotations

import logging

from sqlalchemy import Column, Engine, LargeBinary, MetaData, String, Table, delete, inspect, select

from projections.sql import insert_into

log = logging.getLogger(__name__)

key_metadata = MetaData()
household_keys = Table(
    "household_keys",
    key_metadata,
    Column("household_id", String(64), primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=False),
)


class SqlKeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self) -> None:
        """Create the key table if it is not there yet."""
        key_metadata.create_all(self.engine)

    def adopt(self, read_models: Engine) -> int:
        """Move the keys that earlier versions kept in the read-model database into this
        store, and empty the table they leave there; how many were moved."""
        if read_models.url == self.engine.url:
            raise ValueError("the key store must not share the read models' database")
        if not inspect(read_models).has_table(household_keys.name):
            return 0
        with read_models.begin() as old:
            rows = old.execute(select(household_keys)).all()
            for row in rows:
                self.put(row.household_id, row.wrapped_key)
            old.execute(delete(household_keys))
        if rows:
            log.info("moved %d household keys out of the read-model database", len(rows))
        return len(rows)

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
