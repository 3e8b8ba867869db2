"""A replay from offset 0 in one transaction, as `rebuild` runs it where there are no
shadow tables (SQLite, or a projection that cannot be swapped): the projection's rows are
deleted, then every message applied, the writer dropping a repeated event against the ids
the replay has applied (history's and the stock card's rows are then inserted without a
conflict check: by COPY on PostgreSQL). No broker: the realistic log of
tests/support/aid_log.py, which decides some commands twice (the same event at a new
offset)."""

from __future__ import annotations

import random

from sqlalchemy import Engine

from projections.registry import PROJECTIONS
from projections.tables import history, stock_movements
from projections.writer import apply_messages, lock, record_replayed, reset
from tests.support.aid_log import batches, one_by_one, project, simulate
from tests.support.read_models import every_row


def test_every_projection_replayed_into_its_emptied_tables_holds_the_live_rows(
    engine: Engine,
) -> None:
    log = simulate(random.Random(31), steps=80)
    repeated = len(log.messages) - len({m.envelope.event_id for m in log.messages if m.envelope})
    assert repeated > 0  # the log holds events decided twice, which the replay must drop
    project(engine, batches(log.messages, random.Random(8)))
    live = every_row(engine)
    assert live[history.name] and live[stock_movements.name]
    with engine.begin() as conn:  # a read model gone wrong, which the replay must mend
        conn.execute(history.delete().where(history.c.subject_kind == "location"))

    for projection in PROJECTIONS.values():
        mine = [m for m in log.messages if m.topic in projection.streams]
        with engine.connect() as conn:
            conn.begin()
            lock(conn, projection.name)
            reset(conn, projection)
            replayed: set[int] = set()
            for batch in [*batches(mine[:40], random.Random(5)), *one_by_one(mine[40:])]:
                apply_messages(conn, projection, batch, replayed)
            record_replayed(conn, projection, replayed)
            conn.commit()

    assert every_row(engine) == live
