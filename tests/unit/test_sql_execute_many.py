"""On SQLite, `upsert` and `insert_new` send rows laid out ahead as the driver takes them
(`projections.sql._execute_many`): what is stored must be what SQLAlchemy's own
executemany stores, byte for byte, for every column type the projections use, a column left
to its default included."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Uuid,
    create_engine,
    event,
)

from projections.sql import WritePlan, insert_new, upsert

metadata = MetaData()
lines = Table(
    "many_lines",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("line", Integer, primary_key=True, autoincrement=False),
    Column("offset", BigInteger, nullable=False),
    Column("site", String(16), nullable=False),
    Column("note", String(64)),
    Column("day", Date, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("kilos", Numeric(12, 3), nullable=False),
    Column("open", Boolean, nullable=False),
    Column("facts", JSON, nullable=False),
    Column("returned", BigInteger, nullable=False, default=7),
)
by_sqlalchemy = lines.to_metadata(MetaData(), name="many_lines_reference")


def rows(count: int = 120) -> list[dict[str, Any]]:
    return [
        {
            "event_id": UUID(int=n % 40 + 1),
            "line": n % 2,  # with 40 ids: 40 keys, each given three times
            "offset": 2**40 + n,
            "site": f"SITE-{n}",
            "note": None if n % 2 else "porte \\ 2\t« nord »\n",
            "day": date(2026 if n % 3 else 987, 3, 1 + n % 28),
            "at": times(n),
            "kilos": Decimal(n * 12 + (n % 7)) / 8,
            "open": n % 4 == 0,
            "facts": {"quantity": n, "lots": ["L-1", None]} if n % 5 else None,
        }
        for n in range(count)
    ]


def times(n: int) -> datetime | date:
    """Naive and aware times (SQLite stores neither zone), early years, a date given as one."""
    return [
        datetime(2026, 3, 1, 8, n % 60, 30, 1234),
        datetime(2026, 3, 1, 8, n % 60, tzinfo=timezone(timedelta(hours=-3))),
        date(2026, 3, 1 + n % 28),
        datetime(5, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    ][n % 4]


def raw(engine: Engine, table: Table) -> list[tuple[Any, ...]]:
    """The table's rows as stored, each value with its storage class (1 and 1.0 differ)."""
    with engine.connect() as conn:
        found = conn.exec_driver_sql(f"SELECT * FROM {table.name} ORDER BY rowid")
        return [tuple((v, type(v).__name__) for v in row) for row in found]


@pytest.fixture
def sqlite(tmp_path: Any) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'many.db'}")
    metadata.create_all(engine)
    by_sqlalchemy.create(engine)
    return engine


def test_new_rows_are_stored_as_sqlalchemy_stores_them(sqlite: Engine) -> None:
    fresh = rows(40)
    with sqlite.begin() as conn:
        insert_new(conn, lines, fresh)
        conn.execute(by_sqlalchemy.insert(), fresh)
    stored = raw(sqlite, lines)
    assert len(stored) == 40
    assert stored == raw(sqlite, by_sqlalchemy)
    assert {r[-1] for r in stored} == {(7, "int")}  # the column's default, left out of the rows


@pytest.mark.parametrize(
    "merge",
    [
        {},
        {"add": ["offset"]},
        {"replace": ["site", "facts", "at"], "keep_first": ["note"]},
        {"add": ["kilos"], "replace": ["open", "day"]},
    ],
)
def test_upserts_store_what_sqlalchemy_stores(sqlite: Engine, merge: dict[str, list[str]]) -> None:
    keys = ["event_id", "line"]
    with sqlite.begin() as conn:
        for chunk in (rows()[:50], rows()[50:]):  # the second's keys conflict with the first's
            upsert(conn, lines, chunk, keys, **merge)
            sqlalchemy_upsert(conn, chunk, keys, **merge)
    stored = raw(sqlite, lines)
    assert len(stored) == 40
    assert stored == raw(sqlite, by_sqlalchemy)


def sqlalchemy_upsert(
    conn: Any,
    chunk: list[dict[str, Any]],
    keys: list[str],
    add: list[str] = [],  # noqa: B006
    replace: list[str] = [],  # noqa: B006
    keep_first: list[str] = [],  # noqa: B006
) -> None:
    from sqlalchemy import func
    from sqlalchemy.dialects.sqlite import insert

    table = by_sqlalchemy
    stmt = insert(table)
    updates = {c: table.c[c] + stmt.excluded[c] for c in add}
    updates.update({c: stmt.excluded[c] for c in replace})
    updates.update({c: func.coalesce(table.c[c], stmt.excluded[c]) for c in keep_first})
    if updates:
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_=updates)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    conn.execute(stmt, chunk)


def test_a_plan_holds_the_rows_as_they_were_when_planned(sqlite: Engine) -> None:
    given = rows(3)
    expected = [dict(r) for r in given]
    plan = WritePlan(sqlite.dialect)
    insert_new(plan, lines, given)
    for row in given:  # laid out already: what the caller does with its rows afterwards
        row["site"] = "CHANGED"
    with sqlite.begin() as conn:
        plan.run(conn)
        conn.execute(by_sqlalchemy.insert(), expected)
    assert raw(sqlite, lines) == raw(sqlite, by_sqlalchemy)


def test_a_column_the_rows_leave_out_is_stored_as_sqlalchemy_stores_it(sqlite: Engine) -> None:
    partial = [{k: v for k, v in r.items() if k != "note"} for r in rows(5)]
    with sqlite.begin() as conn:
        insert_new(conn, lines, partial)
        conn.execute(by_sqlalchemy.insert(), partial)
    assert [r[4] for r in raw(sqlite, lines)] == [(None, "NoneType")] * 5
    assert raw(sqlite, lines) == raw(sqlite, by_sqlalchemy)


def test_rows_leaving_out_a_column_computed_on_insert_are_refused(sqlite: Engine) -> None:
    stamped = Table(
        "many_stamped",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", DateTime, nullable=False, default=datetime.now),
    )
    stamped.create(sqlite)
    with sqlite.begin() as conn, pytest.raises(ValueError, match="no at"):
        insert_new(conn, stamped, [{"id": 1}])


def test_each_engine_converts_with_its_own_json_serializer(tmp_path: Any) -> None:
    def compact(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), sort_keys=True)

    for name, serializer in (("plain", None), ("compact", compact), ("plain-again", None)):
        options = {"json_serializer": serializer} if serializer else {}
        engine = create_engine(f"sqlite:///{tmp_path / name}.db", **options)
        metadata.create_all(engine)
        by_sqlalchemy.create(engine)
        with engine.begin() as conn:
            insert_new(conn, lines, rows(6))
            conn.execute(by_sqlalchemy.insert(), rows(6))
        assert raw(engine, lines) == raw(engine, by_sqlalchemy), name
        engine.dispose()


def test_times_in_a_storage_format_of_their_own_are_stored_as_sqlalchemy_stores_them(
    sqlite: Engine,
) -> None:
    from sqlalchemy.dialects.sqlite import DATE, DATETIME

    own = MetaData()
    table = Table(
        "many_times",
        own,
        Column("at", DATETIME(truncate_microseconds=True)),
        Column("day", DATE(storage_format="%(day)02d/%(month)02d/%(year)04d", regexp=r"(.*)")),
    )
    reference = table.to_metadata(MetaData(), name="many_times_reference")
    own.create_all(sqlite)
    reference.create(sqlite)
    given = [{"at": times(n), "day": date(2026, 3, 1 + n)} for n in range(8)]
    with sqlite.begin() as conn:
        insert_new(conn, table, given)
        conn.execute(reference.insert(), given)
    stored = raw(sqlite, table)
    assert stored == raw(sqlite, reference)
    assert stored[0] == (("2026-03-01 08:00:30", "str"), ("01/03/2026", "str"))


def test_rows_go_in_one_statement_over_json_and_its_order_decides(sqlite: Engine) -> None:
    """The rows travel as one JSON array (`json_each`), applied in the array's order: with
    one key given three times, an upsert that does nothing on a conflict keeps the first."""
    statements: list[tuple[str, Any]] = []
    event.listen(sqlite, "before_cursor_execute", lambda *a: statements.append((a[2], a[3])))
    keyed = [dict(r, event_id=UUID(int=1), line=0) for r in rows(3)]
    with sqlite.begin() as conn:
        upsert(conn, lines, keyed, ["event_id", "line"])
    sent = [params for sql, params in statements if "many_lines" in sql and "json_each" in sql]
    assert len(sent) == 1 and len(json.loads(sent[0][0])) == 3
    assert not [sql for sql, _ in statements if "VALUES" in sql]
    ((site,),) = [(r[3][0],) for r in raw(sqlite, lines)]
    assert site == "SITE-0"


def test_an_upsert_that_merges_sends_one_row_per_key(sqlite: Engine) -> None:
    """Rows merged by key before they are sent, as if applied one after the other: the last
    `replace` wins, the first `keep_first` given stays, and `add` sums."""
    statements: list[tuple[str, Any]] = []
    event.listen(sqlite, "before_cursor_execute", lambda *a: statements.append((a[2], a[3])))
    keyed = [dict(r, event_id=UUID(int=1), line=0) for r in rows(3)]
    for row, note in zip(keyed, [None, "first", "second"], strict=True):
        row["note"] = note
    keys = ["event_id", "line"]
    with sqlite.begin() as conn:
        upsert(conn, lines, keyed, keys, replace=["site"], keep_first=["note"], add=["offset"])
    sent = [params for sql, params in statements if "many_lines" in sql and "json_each" in sql]
    assert len(sent) == 1 and len(json.loads(sent[0][0])) == 1
    ((site, note, offset),) = [(r[3][0], r[4][0], r[2][0]) for r in raw(sqlite, lines)]
    assert (site, note, offset) == ("SITE-2", "first", sum(r["offset"] for r in keyed))


def test_merging_leaves_the_callers_rows_as_they_were(sqlite: Engine) -> None:
    given = rows()
    before = [dict(r) for r in given]
    with sqlite.begin() as conn:
        upsert(conn, lines, given, ["event_id", "line"], add=["offset"], keep_first=["note"])
    assert given == before


def test_what_json_cannot_hold_goes_to_the_driver_as_it_is(sqlite: Engine) -> None:
    """An infinity is no JSON number, and bytes no JSON string: such rows are sent as an
    executemany, stored as SQLAlchemy stores them."""
    odd = MetaData()
    scores = Table("many_scores", odd, Column("id", Integer, primary_key=True), Column("x", Float))
    blobs = Table(
        "many_blobs", odd, Column("id", Integer, primary_key=True), Column("b", LargeBinary)
    )
    references = [t.to_metadata(MetaData(), name=f"{t.name}_reference") for t in (scores, blobs)]
    odd.create_all(sqlite)
    for reference in references:
        reference.create(sqlite)
    given = [[{"id": 1, "x": float("inf")}, {"id": 2, "x": -float("inf")}, {"id": 3, "x": 0.1}]]
    given.append([{"id": 1, "b": b"\x00\xff"}, {"id": 2, "b": None}])
    with sqlite.begin() as conn:
        for table, reference, chunk in zip((scores, blobs), references, given, strict=True):
            insert_new(conn, table, chunk)
            conn.execute(reference.insert(), chunk)
    assert raw(sqlite, scores) == raw(sqlite, references[0])
    assert [r[1][0] for r in raw(sqlite, scores)] == [float("inf"), -float("inf"), 0.1]
    assert raw(sqlite, blobs) == raw(sqlite, references[1])
    assert raw(sqlite, blobs)[0][1] == (b"\x00\xff", "bytes")


def test_the_projections_write_no_row_by_row_on_sqlite(tmp_path: Any) -> None:
    """Every projection's writes of a few weeks' log reach SQLite as one statement each: an
    executemany (a statement `_from_json` could not rewrite) would take the GIL back after
    every row."""
    import random

    from projections.database import make_engine, migrate
    from tests.support.aid_log import batches, interleaving, project, simulate

    engine = make_engine(f"sqlite:///{tmp_path / 'projections.db'}")
    migrate(engine)
    row_by_row: list[str] = []
    writes: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, _p: Any, _c: Any, many: bool) -> None:
        if statement.startswith("INSERT"):
            (row_by_row if many else writes).append(statement.split("(")[0])

    rng = random.Random(5)
    project(engine, batches(interleaving(simulate(rng), rng), rng))
    engine.dispose()
    assert len(writes) > 100
    assert row_by_row == []
