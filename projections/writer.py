"""Applies a batch of Kafka messages to a projection exactly once.

In one transaction: lock the projection, skip messages at or below the stored
position of their partition, drop events already applied (same event_id at a
new offset: recorded in `applied_events`, or, for a projection keyed by event,
by its own keys), apply the rest, and store the new positions. A crash anywhere
rolls all of it back, so replaying from the stored position is always safe.

A write-only projection's writes for a batch can be worked out before its transaction
(`plan`, while the batch before is being written); the transaction sends them when the
batch's events all turn out new, as they do unless a batch is delivered again, and applies
the ones that are new the usual way otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import NamedTuple, cast
from uuid import UUID

import orjson
from sqlalchemy import Connection, Dialect, Engine, delete, select, text

from events import Envelope, Event
from projections.projection import Projection, WriteOnlyProjection
from projections.sql import WritePlan, copying, insert_into, upsert
from projections.tables import applied_events, projection_locks, projection_positions
from projections.writer_types import Applied, utc

Partition = tuple[str, int]


class Message(NamedTuple):  # a tuple, made without a setattr per field: one per record
    """A consumed record; `event` is None for a message already parked in the DLQ."""

    topic: str
    partition: int
    offset: int
    envelope: Envelope | None = None
    event: Event | None = None


def lock(conn: Connection, projection: str) -> None:
    """Serialise writers of one projection (worker batches and rebuilds): its lock row,
    inserted or updated to itself, is held until the transaction ends. One statement."""
    stmt = insert_into(conn, projection_locks).values(projection=projection, generation=0)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["projection"], set_={"generation": projection_locks.c.generation}
        )
    )


def positions(conn: Connection, projection: str) -> dict[Partition, int]:
    """The last offset applied per (topic, partition)."""
    rows = conn.execute(
        select(projection_positions).where(projection_positions.c.projection == projection)
    )
    return {(r.topic, r.partition): r.offset for r in rows}


@dataclass(frozen=True)
class Planned:
    """A batch's events as the writer finds them when none was applied before (`candidates`,
    from `messages` messages), and a write-only projection's writes for them (for a replay,
    or for live batches)."""

    messages: int
    candidates: dict[UUID, Applied]
    writes: WritePlan
    replay: bool


def plan(
    projection: Projection, dialect: Dialect, messages: Sequence[Message], replay: bool = False
) -> Planned | None:
    """The writes of a write-only projection for these messages, as if all were new; None for
    a projection that reads its tables while it applies."""
    if not projection.write_only:
        return None
    candidates = _candidates(messages)
    writes = WritePlan(dialect)
    if candidates:
        cast(WriteOnlyProjection, projection).apply(writes, list(candidates.values()), replay)
    return Planned(len(messages), candidates, writes, replay)


def apply_batch(
    engine: Engine,
    projection: Projection,
    messages: Sequence[Message],
    planned: Planned | None = None,
) -> int:
    """Apply the batch in its own transaction; returns how many events were new. `planned`:
    its writes worked out by `plan` for the same messages."""
    with engine.begin() as conn:
        lock(conn, projection.name)
        return apply_messages(conn, projection, messages, planned=planned)


def apply_messages(
    conn: Connection,
    projection: Projection,
    messages: Sequence[Message],
    replayed: set[int] | None = None,
    planned: Planned | None = None,
) -> int:
    """Apply messages inside the caller's (locked) transaction, skipping what is done.

    `replayed`: for a replay from offset 0 in one transaction (a rebuild), the ids of the
    events it has applied so far, as `UUID.int` (which the garbage collector does not
    track). A repeat is then dropped against that set instead of `applied_events` (or, for
    a projection keyed by event, its keys, so its rows can be inserted without looking),
    and the caller records the whole set once at the end (`record_replayed`) rather than
    an index entry per event, batch after batch.

    `planned`: the writes `plan` worked out for these messages, sent when every one of them
    is past its partition's position and new."""
    done = positions(conn, projection.name)
    fresh = [m for m in messages if m.offset > done.get((m.topic, m.partition), -1)]
    if planned is not None and (
        planned.messages != len(messages)
        or len(fresh) != len(messages)
        or planned.replay != (replayed is not None)
    ):
        planned = None
    applied = _apply_new_events(conn, projection, fresh, replayed, planned)
    _store_positions(conn, projection.name, fresh)
    return applied


def _candidates(messages: Sequence[Message]) -> dict[UUID, Applied]:
    """Each event once (the first time it appears), in the order of the messages."""
    candidates: dict[UUID, Applied] = {}
    for m in messages:
        if m.envelope is not None and m.event is not None:
            envelope = m.envelope
            candidates.setdefault(
                envelope.event_id,
                Applied(m.partition, m.offset, envelope, m.event, utc(envelope.occurred_at)),
            )
    return candidates


def _apply_new_events(
    conn: Connection,
    projection: Projection,
    fresh: Sequence[Message],
    replayed: set[int] | None,
    planned: Planned | None,
) -> int:
    candidates = _candidates(fresh) if planned is None else planned.candidates
    if not candidates:
        return 0
    if replayed is not None:
        new = [applied for event_id, applied in candidates.items() if event_id.int not in replayed]
        replayed.update(applied.envelope.event_id.int for applied in new)
    elif projection.keyed_by_event:  # its own keys drop a repeat: nothing to record
        new = list(candidates.values())
    else:
        recorded = set(_record_new(conn, projection.name, candidates))
        new = [applied for event_id, applied in candidates.items() if event_id in recorded]
    if planned is not None and len(new) == len(candidates):
        planned.writes.run(conn)  # all new: what was planned for them
    elif new:
        projection.apply(conn, new, replay=replayed is not None)
    return len(new)


def _record_new(conn: Connection, projection: str, candidates: Collection[UUID]) -> list[UUID]:
    """Record the candidates' event ids as applied; returns those not recorded before."""
    if conn.dialect.name == "postgresql":
        rows = orjson.dumps([{"projection": projection, "event_id": e} for e in candidates])
        return conn.scalar(_RECORD_NEW, {"rows": rows.decode()}) or []
    given = {e.hex: e for e in candidates}  # as SQLAlchemy's Uuid stores them on SQLite
    ids = orjson.dumps(list(given)).decode()
    found = conn.exec_driver_sql(_SQLITE_NOT_RECORDED, (ids, projection)).scalar_one()
    conn.exec_driver_sql(_SQLITE_RECORD, (projection, found))
    return [given[h] for h in orjson.loads(found)]


def record_replayed(
    conn: Connection, projection: Projection, replayed: Collection[int], schema: str | None = None
) -> None:
    """Record a replay's applied event ids (as `UUID.int`) in one go: `COPY` on PostgreSQL,
    into the `schema` named (a rebuild's live tables) or the first on the search path. A
    projection keyed by event records none."""
    if projection.keyed_by_event or not replayed:
        return
    if conn.dialect.name == "postgresql":
        ids = list(replayed)
        table = f'"{schema}".applied_events' if schema else "applied_events"
        with copying(conn, f"COPY {table} (projection, event_id) FROM STDIN") as copy:
            for start in range(0, len(ids), 10_000):  # uuid's input takes 32 hex digits
                chunk = ids[start : start + 10_000]
                copy.write("".join(f"{projection.name}\t{e:032x}\n" for e in chunk))
        return
    hex_ids = orjson.dumps([f"{e:032x}" for e in replayed]).decode()  # as Uuid stores them
    conn.exec_driver_sql(_SQLITE_RECORD, (projection.name, hex_ids))


# SQLite: a statement whose result is one row runs in one step of the engine, with the GIL
# released throughout; one returning a row per id would take it back for every id.
_SQLITE_NOT_RECORDED = (
    "SELECT json_group_array(value) FROM json_each(?) AS given WHERE NOT EXISTS "
    "(SELECT 1 FROM applied_events WHERE projection = ? AND event_id = given.value)"
)
_SQLITE_RECORD = (  # `WHERE true`: how SQLite tells ON CONFLICT from a join's ON
    "INSERT INTO applied_events (projection, event_id) SELECT ?, value FROM json_each(?) "
    "WHERE true ON CONFLICT DO NOTHING"
)
_RECORD_NEW = text(
    "WITH recorded AS (INSERT INTO applied_events (projection, event_id) "
    "SELECT projection, event_id "
    "FROM json_populate_recordset(NULL::applied_events, CAST(:rows AS json)) "
    "ON CONFLICT DO NOTHING RETURNING event_id) SELECT array_agg(event_id) FROM recorded"
)


def _store_positions(conn: Connection, projection: str, fresh: Sequence[Message]) -> None:
    last: dict[Partition, int] = {}
    for m in fresh:
        last[(m.topic, m.partition)] = max(m.offset, last.get((m.topic, m.partition), -1))
    rows = [
        {"projection": projection, "topic": t, "partition": p, "offset": o}
        for (t, p), o in last.items()
    ]
    upsert(
        conn, projection_positions, rows, ["projection", "topic", "partition"], replace=["offset"]
    )


def reset(conn: Connection, projection: Projection) -> None:
    """Forget a projection's rows and positions, inside the caller's transaction."""
    for table in projection.tables:
        conn.execute(delete(table))
    for table in (applied_events, projection_positions):
        conn.execute(delete(table).where(table.c.projection == projection.name))
