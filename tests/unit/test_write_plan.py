"""A write-only projection's writes worked out before the transaction (`plan`) leave the rows
its `apply` leaves in the transaction, and are sent only when every event of the batch is
new: a batch delivered again, or partly behind its partition's position, is applied the
usual way for what is new in it. SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Sequence

from sqlalchemy import Connection, Engine

from projections.projection import Batch
from projections.registry import PROJECTIONS
from projections.sql import Target, WritePlan
from projections.writer import Message, apply_batch, plan
from tests.support.aid_log import batches, forget, simulate
from tests.support.read_models import every_row

INVENTORY = PROJECTIONS["inventory"]


class Watched:
    """The inventory projection, noting what each `apply` wrote into: a plan or a connection."""

    def __init__(self) -> None:
        self.name, self.streams, self.tables = INVENTORY.name, INVENTORY.streams, INVENTORY.tables
        self.keyed_by_event, self.write_only = INVENTORY.keyed_by_event, True
        self.reads_views = INVENTORY.reads_views
        self.into: list[str] = []
        self.events: list[int] = []

    def apply(self, conn: Target, batch: Batch, replay: bool = False) -> None:
        self.into.append("plan" if isinstance(conn, WritePlan) else "transaction")
        if isinstance(conn, Connection):
            self.events.append(len(batch))
        INVENTORY.apply(conn, batch, replay)  # type: ignore[arg-type]


def stock_batches(seed: int) -> list[list[Message]]:
    log = simulate(random.Random(seed), steps=300)
    stock = [m for m in log.messages if m.topic in INVENTORY.streams]
    return list(batches(stock, random.Random(seed)))


def applied(engine: Engine, batches_of_log: Sequence[Sequence[Message]], planned: bool) -> dict:
    forget(engine)
    for batch in batches_of_log:
        ahead = plan(INVENTORY, engine.dialect, batch) if planned else None
        apply_batch(engine, INVENTORY, batch, ahead)
    return every_row(engine)


def test_planned_writes_leave_the_rows_of_the_writes_done_in_the_transaction(
    engine: Engine,
) -> None:
    log = stock_batches(seed=7)
    assert sum(map(len, log)) > 100
    assert applied(engine, log, planned=True) == applied(engine, log, planned=False)


def test_the_plan_is_sent_when_every_event_is_new_and_the_batch_applied_otherwise(
    engine: Engine,
) -> None:
    watched = Watched()
    first, second = stock_batches(seed=11)[:2]
    apply_batch(engine, watched, first, plan(watched, engine.dialect, first))  # type: ignore[arg-type]
    assert watched.into == ["plan"]  # worked out ahead, sent as planned
    # The same events again at new offsets (decided again after a crash), then new ones.
    last = max(m.offset for m in first)
    again = [
        Message(m.topic, m.partition, last + 1 + i, m.envelope, m.event)
        for i, m in enumerate(first)
    ]
    mixed = again + second
    new_in_second = {m.envelope.event_id for m in second if m.envelope} - {
        m.envelope.event_id for m in first if m.envelope
    }
    assert new_in_second
    apply_batch(engine, watched, mixed, plan(watched, engine.dialect, mixed))  # type: ignore[arg-type]
    assert watched.into == ["plan", "plan", "transaction"]
    assert watched.events == [len(new_in_second)]
    # The first batch again at its own offsets: behind the positions, nothing to apply.
    apply_batch(engine, watched, first, plan(watched, engine.dialect, first))  # type: ignore[arg-type]
    assert watched.into == ["plan", "plan", "transaction", "plan"]
    assert watched.events == [len(new_in_second)]
    assert without_positions(every_row(engine)) == without_positions(
        applied(engine, [first, second], planned=False)
    )


def without_positions(rows: dict) -> dict:
    return {name: r for name, r in rows.items() if name != "projection_positions"}
