"""`insert_new` writes the rows an upsert would write (by binary COPY on PostgreSQL): the
same values of every column type the projections use, a document's null as JSON null, and
a key already there refused rather than skipped."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Uuid,
    select,
)
from sqlalchemy.exc import IntegrityError

from projections.sql import insert_ignoring_duplicates, insert_new

metadata = MetaData()
lines = Table(
    "insert_new_lines",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("line", Integer, primary_key=True, autoincrement=False),
    Column("offset", BigInteger, nullable=False),
    Column("site", String(16), nullable=False),
    Column("note", String(64)),
    Column("day", Date, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("kilos", Numeric(12, 3), nullable=False),
    Column("facts", JSON, nullable=False),
)
upserted = lines.to_metadata(MetaData(), name="insert_new_upserted")


def rows() -> list[dict[str, Any]]:
    return [
        {
            "event_id": UUID(int=n + 1),
            "line": n % 3,
            "offset": 2**40 + n,
            "site": f"SITE-{n}",
            "note": None if n % 2 else "porte \\ 2\t« nord »\n",
            "day": date(2026, 3, 1 + n % 28),
            "at": datetime(2026, 3, 1, 8, n % 60, 30, 1234),
            "kilos": n * 12 + (n % 7),
            "facts": {"quantity": n, "lots": ["L-1", None], "reason": None, "tag": "\u2603 \\"}
            if n % 5
            else None,
        }
        for n in range(250)
    ]


def stored(engine: Engine, table: Table) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(table.c.event_id))]


def test_it_stores_what_an_upsert_stores_on_both_databases(engine: Engine) -> None:
    metadata.create_all(engine)
    upserted.create(engine)
    with engine.begin() as conn:
        insert_new(conn, lines, rows())
        insert_new(conn, lines, [])
        insert_ignoring_duplicates(conn, upserted, rows(), ["event_id", "line"])
    copied = stored(engine, lines)
    assert len(copied) == 250
    assert copied == stored(engine, upserted)
    first = copied[0]
    assert first[0] == UUID(int=1) and first[2] == 2**40 and first[8] is None  # JSON null
    assert copied[1][8] == {"quantity": 1, "lots": ["L-1", None], "reason": None, "tag": "☃ \\"}


def test_a_key_already_there_is_refused_and_nothing_of_the_rows_is_written(
    engine: Engine,
) -> None:
    metadata.create_all(engine)
    with engine.begin() as conn:
        insert_new(conn, lines, rows()[:10])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        insert_new(conn, lines, rows()[5:20])
    assert len(stored(engine, lines)) == 10


@pytest.mark.parametrize(
    "columns",
    [("event_id", "line", "offset", "site", "note", "day", "at", "kilos"), ("event_id",)],
    ids=["without documents", "one column"],
)
def test_rows_of_any_width_with_or_without_documents_store_what_an_upsert_stores(
    engine: Engine, columns: tuple[str, ...]
) -> None:
    narrow = MetaData()
    copied = Table("insert_new_narrow", narrow, *(lines.c[c].copy() for c in columns))
    upserted_narrow = copied.to_metadata(narrow, name="insert_new_narrow_upserted")
    narrow.create_all(engine)
    given = [{c: row[c] for c in columns} for row in rows() if row["line"] == 0]
    with engine.begin() as conn:
        insert_new(conn, copied, given)
        keys = [c.name for c in copied.primary_key]
        insert_ignoring_duplicates(conn, upserted_narrow, given, keys)
    assert len(stored(engine, copied)) == len(given) > 80
    assert stored(engine, copied) == stored(engine, upserted_narrow)
