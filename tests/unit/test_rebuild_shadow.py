"""A rebuild on PostgreSQL writes into shadow tables and swaps them in when it commits.

No broker: the realistic log of tests/support/aid_log.py is projected live, then every
projection is replayed into its shadow tables in one transaction, as `rebuild` does. The
swapped-in tables hold the live rows, with the live tables' indexes and keys under their
names; until the commit readers see the old rows, and a rebuild rolled back changes nothing.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, func, select, text

from projections.projection import Projection
from projections.registry import PROJECTIONS
from projections.shadow import SwapTimeout, can_shadow, open_shadow, swap
from projections.tables import metadata, stock_movements
from projections.writer import Message, apply_messages, lock, record_replayed
from tests.support.aid_log import batches, one_by_one, project, simulate
from tests.support.read_models import every_row

NOT_DECLARED = {"alembic_version", "household_keys"}


def mine(projection: Projection, messages: Sequence[Message]) -> list[Message]:
    return [m for m in messages if m.topic in projection.streams]


def replay(
    conn: Connection, projection: Projection, messages: Sequence[Message]
) -> tuple[Any, set[int]]:
    """Replay into the shadow tables, as `rebuild` does; the shadow, not swapped, and the
    ids of the events applied, not recorded."""
    conn.begin()
    lock(conn, projection.name)
    assert can_shadow(conn, projection)
    shadow = open_shadow(conn, projection)
    replayed: set[int] = set()
    for batch in batches(mine(projection, messages), random.Random(7)):
        apply_messages(conn, projection, batch, replayed)
    return shadow, replayed


def begin_rebuild(conn: Connection, projection: Projection, messages: Sequence[Message]) -> Any:
    """Replay, the applied ids recorded in the shadow's bookkeeping, to be moved by `swap`."""
    shadow, replayed = replay(conn, projection, messages)
    record_replayed(conn, projection, replayed)
    return shadow


def rebuild_all(engine: Engine, messages: Sequence[Message]) -> None:
    """Every projection rebuilt as `rebuild` does it: its applied ids recorded by the swap
    straight into the live bookkeeping."""
    for projection in PROJECTIONS.values():
        with engine.connect() as conn:
            shadow, replayed = replay(conn, projection, messages)
            swap(conn, shadow, record_applied=partial(record_replayed, conn, projection, replayed))
            conn.commit()


def indexes(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = 'public' ORDER BY tablename, indexname"
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def schemas(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        found = conn.scalars(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild%'"))
        return list(found)


def wait_for_a_lock_wait(engine: Engine) -> None:
    with engine.connect() as conn:
        for _ in range(600):
            waiting = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("nobody waited for a lock")


@pytest.fixture
def postgres(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        with engine.connect() as conn:
            assert not can_shadow(conn, PROJECTIONS["inventory"])  # SQLite: today's path
        pytest.skip("shadow tables are a PostgreSQL rebuild")
    return engine


def test_every_projection_rebuilt_in_shadow_tables_holds_the_live_rows_and_indexes(
    postgres: Engine,
) -> None:
    log = simulate(random.Random(20), steps=80)
    project(postgres, one_by_one(log.messages))
    live, live_indexes = every_row(postgres), indexes(postgres)
    with postgres.begin() as conn:  # a read model gone wrong, which the rebuild must mend
        conn.execute(stock_movements.delete().where(stock_movements.c.line == 0))

    rebuild_all(postgres, log.messages)

    assert every_row(postgres) == live
    assert indexes(postgres) == live_indexes
    assert schemas(postgres) == []
    with postgres.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = [
            d
            for d in compare_metadata(context, metadata)
            if not (d[0] == "remove_table" and d[1].name in NOT_DECLARED)
        ]
    assert differences == []


def test_readers_see_the_old_rows_until_the_commit_and_a_rollback_changes_nothing(
    postgres: Engine,
) -> None:
    log = simulate(random.Random(21), steps=60)
    half = len(log.messages) // 2
    project(postgres, one_by_one(log.messages[:half]))
    before, before_indexes = every_row(postgres), indexes(postgres)
    inventory = PROJECTIONS["inventory"]

    with postgres.connect() as rebuilding:
        begin_rebuild(rebuilding, inventory, log.messages)
        assert every_row(postgres) == before  # another connection reads the live rows
        rebuilding.rollback()  # the rebuild dies before its swap

    assert every_row(postgres) == before
    assert indexes(postgres) == before_indexes
    assert schemas(postgres) == []

    with postgres.connect() as rebuilding:
        swap(rebuilding, begin_rebuild(rebuilding, inventory, log.messages))
        rebuilding.rollback()  # the rebuild dies after its swap, before the commit

    assert every_row(postgres) == before
    assert indexes(postgres) == before_indexes
    assert schemas(postgres) == []


def test_the_live_writer_carries_on_from_the_rebuilt_positions(postgres: Engine) -> None:
    log = simulate(random.Random(22), steps=80)
    project(postgres, one_by_one(log.messages))
    everything = every_row(postgres)
    with postgres.begin() as conn:
        conn.execute(text("TRUNCATE applied_events, projection_positions"))
    half = len(log.messages) // 2

    rebuild_all(postgres, log.messages[:half])
    with postgres.connect() as conn:
        movements = conn.scalar(select(func.count()).select_from(stock_movements))
    project(postgres, [log.messages])  # the worker reads everything again: half is done

    assert movements is not None and movements < len(everything["stock_movements"])
    assert every_row(postgres) == everything


def test_the_swap_waits_for_a_long_reader_without_holding_other_readers_up(
    postgres: Engine,
) -> None:
    log = simulate(random.Random(23), steps=40)
    project(postgres, one_by_one(log.messages))
    inventory = PROJECTIONS["inventory"]
    swapped = threading.Event()

    with postgres.connect() as long_reader, postgres.connect() as rebuilding:
        long_reader.begin()  # a report holding the live stock card
        held = long_reader.scalar(select(func.count()).select_from(stock_movements))
        shadow = begin_rebuild(rebuilding, inventory, log.messages)

        def swap_and_commit() -> None:
            swap(rebuilding, shadow)
            rebuilding.commit()
            swapped.set()

        swapping = threading.Thread(target=swap_and_commit)
        swapping.start()
        wait_for_a_lock_wait(postgres)  # the swap has come to the tables and waits for them
        for _ in range(3):  # other readers still get through, each within a second or so
            started = time.monotonic()
            with postgres.connect() as reader:
                reader.execute(text("SET statement_timeout = '3s'"))
                assert reader.scalar(select(func.count()).select_from(stock_movements)) == held
            assert time.monotonic() - started < 2.5
            assert not swapped.is_set()
        long_reader.rollback()
        swapping.join(timeout=30)

    assert swapped.is_set()
    assert schemas(postgres) == []


def test_a_swap_that_cannot_take_the_live_tables_in_time_gives_up_and_changes_nothing(
    postgres: Engine,
) -> None:
    log = simulate(random.Random(24), steps=40)
    half = len(log.messages) // 2
    project(postgres, one_by_one(log.messages[:half]))
    before = every_row(postgres)

    with postgres.connect() as long_reader, postgres.connect() as rebuilding:
        long_reader.begin()
        long_reader.scalar(select(func.count()).select_from(stock_movements))
        shadow = begin_rebuild(rebuilding, PROJECTIONS["inventory"], log.messages)
        with pytest.raises(SwapTimeout, match="inventory stayed in use"):
            swap(rebuilding, shadow, patience=1.0)
        rebuilding.rollback()
        long_reader.rollback()

    assert every_row(postgres) == before
    assert schemas(postgres) == []


def test_applied_ids_recorded_in_the_shadow_are_moved_to_the_live_bookkeeping(
    postgres: Engine,
) -> None:
    log = simulate(random.Random(25), steps=60)
    project(postgres, one_by_one(log.messages))
    live = every_row(postgres)
    with postgres.begin() as conn:
        conn.execute(text("TRUNCATE applied_events, projection_positions"))

    for projection in PROJECTIONS.values():
        with postgres.connect() as conn:
            swap(conn, begin_rebuild(conn, projection, log.messages))
            conn.commit()

    assert every_row(postgres) == live
