"""The household key store: wrapped data keys, in a database of their own.

Never in Kafka, never beside the read models: a read-model backup restored after an erasure
must not bring the erased person back, so the keys live apart (`AID_KEY_STORE_URL`, by
default `keys.db` in the data dir) and are backed up on their own terms (docs/households.md).

Creating a household's key also claims its id for one person (`claimed_by`, the identity
pseudonym), in one statement: the store is where a household id gets its single owner, so
two people can never be registered under one id however far the read models lag, and a
refused registration can only ever destroy the key it claimed itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import (
    Column,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    inspect,
    select,
    text,
)

from projections.sql import insert_into

log = logging.getLogger(__name__)

key_metadata = MetaData()
household_keys = Table(
    "household_keys",
    key_metadata,
    Column("household_id", String(64), primary_key=True),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("claimed_by", String(64)),  # empty for keys made before claims were kept
)


class SqlKeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self) -> None:
        """Create the key table if it is not there yet (or add what a later version keeps)."""
        key_metadata.create_all(self.engine)
        columns = {c["name"] for c in inspect(self.engine).get_columns(household_keys.name)}
        if "claimed_by" not in columns:
            with self.engine.begin() as conn:
                conn.execute(text("ALTER TABLE household_keys ADD COLUMN claimed_by VARCHAR(64)"))

    def adopt(self, read_models: Engine) -> int:
        """Move the keys that earlier versions kept in the read-model database into this
        store, and empty the table they leave there; how many were moved."""
        if read_models.url == self.engine.url:
            raise ValueError("the key store must not share the read models' database")
        if not inspect(read_models).has_table(household_keys.name):
            return 0
        with read_models.begin() as old:
            k = household_keys.c
            rows = old.execute(select(k.household_id, k.wrapped_key)).all()
            for row in rows:
                self.put(row.household_id, row.wrapped_key)
            old.execute(delete(household_keys))
        if rows:
            log.info("moved %d household keys out of the read-model database", len(rows))
        return len(rows)

    def put(self, household_id: str, wrapped: bytes, claimed_by: str | None = None) -> bool:
        """Store the key unless the household has one; whether this call stored it."""
        with self.engine.begin() as conn:
            stmt = insert_into(conn, household_keys).values(
                household_id=household_id, wrapped_key=wrapped, claimed_by=claimed_by
            )
            stored = conn.execute(stmt.on_conflict_do_nothing(index_elements=["household_id"]))
            return bool(stored.rowcount)

    def put_many(self, keys: Sequence[tuple[str, bytes, str]]) -> set[str]:
        """`put` for each (household id, wrapped key, claimed by), in one transaction; the
        ids this call stored."""
        if not keys:
            return set()
        with self.engine.begin() as conn:
            # The rows as parameters of one statement compiled once (SQLAlchemy sends them in
            # a few multi-row INSERTs), not a VALUES list compiled anew for each call: that
            # took 8 times as long for 2,000 keys, a quarter of an import's own CPU.
            stmt = insert_into(conn, household_keys).on_conflict_do_nothing(
                index_elements=["household_id"]
            )
            stored = conn.execute(
                stmt.returning(household_keys.c.household_id),
                [{"household_id": h, "wrapped_key": w, "claimed_by": c} for h, w, c in keys],
            )
            return set(stored.scalars())

    def claims(self, household_ids: Sequence[str]) -> dict[str, tuple[bytes, str | None]]:
        """The wrapped key and claimant of each of these households that has a key."""
        if not household_ids:
            return {}
        k = household_keys.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(k.household_id, k.wrapped_key, k.claimed_by).where(
                    k.household_id.in_(household_ids)
                )
            ).all()
        return {row.household_id: (row.wrapped_key, row.claimed_by) for row in rows}

    def claimant(self, household_id: str) -> tuple[bool, str | None]:
        """Whether the household has a key, and who claimed it (None if not recorded)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(household_keys.c.claimed_by).where(
                    household_keys.c.household_id == household_id
                )
            ).first()
        return (row is not None, row.claimed_by if row else None)

    def release(self, household_id: str, claimed_by: str) -> bool:
        """Delete the key only if `claimed_by` claimed it; whether it was deleted."""
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(household_keys).where(
                    household_keys.c.household_id == household_id,
                    household_keys.c.claimed_by == claimed_by,
                )
            )
        return bool(result.rowcount)

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
