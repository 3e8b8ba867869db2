"""Small SQL helpers that work the same on SQLite and PostgreSQL.

On PostgreSQL a batch of rows travels as one JSON parameter expanded by
`json_populate_recordset`: one statement and one round trip per table and batch,
whatever the number of rows; rows that cannot be there yet go by binary `COPY`
(`insert_new`). SQLite, in-process, takes the rows as one JSON parameter too, expanded by
`json_each` in a statement compiled once per shape of rows, their values converted for the
driver ahead: the whole batch is written in one step of the engine, outside the GIL.

`upsert`, `insert_new` and `execute` write through a connection at once, or into a
`WritePlan`: the same statements with their rows already merged, encoded and laid out,
worked out before the transaction and sent by `WritePlan.run` inside it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from math import isfinite
from operator import itemgetter
from typing import Any, NamedTuple

import orjson
import psycopg
from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Dialect,
    Engine,
    Executable,
    Float,
    LargeBinary,
    Numeric,
    Table,
    all_,
    any_,
    bindparam,
    func,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

Row = dict[str, Any]
Step = Callable[[Connection], object]


class WritePlan:
    """A batch's writes worked out ahead of its transaction, to be sent by `run` inside it.

    A projection whose `apply` only writes (never reads its tables) can apply a batch to a
    plan instead of a connection: the Python side of its writes (rows built, merged, encoded
    as JSON or laid out for `COPY`) is then done while the batch before is being written, and
    the transaction only sends them, in the order they were planned."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._steps: list[Step] = []

    def add(self, step: Step) -> None:
        self._steps.append(step)

    def execute(self, statement: Executable, parameters: Any = None) -> None:
        self._steps.append(lambda conn: conn.execute(statement, parameters))

    def run(self, conn: Connection) -> None:
        for step in self._steps:
            step(conn)


Target = Connection | WritePlan  # where a write goes: now, or into a plan


def _perform(target: Target, step: Step) -> None:
    if isinstance(target, WritePlan):
        target.add(step)
    else:
        step(target)


def among(conn: Connection | Engine, column: ColumnElement[Any], values: Iterable[Any]) -> Any:
    """`column IN values`; on PostgreSQL `column = ANY(:values)`, one array parameter. A
    batch's IN list of a few thousand ids is rendered parameter by parameter by SQLAlchemy
    and converted again by the driver (its text changes with its length): a fifth of a
    registry batch's CPU. A statement using it should run with custom plans
    (`plan_for_values`): its text is now the same every time, so psycopg prepares it."""
    listed = list(values)
    if conn.dialect.name != "postgresql":
        return column.in_(listed)
    return column == any_(_one_array(column, listed))


def not_among(conn: Connection, column: ColumnElement[Any], values: Iterable[Any]) -> Any:
    """`column NOT IN values`, as `among` (`column <> ALL(:values)` on PostgreSQL)."""
    listed = list(values)
    if conn.dialect.name != "postgresql":
        return column.not_in(listed)
    return column != all_(_one_array(column, listed))


def _one_array(column: ColumnElement[Any], values: list[Any]) -> Any:
    return bindparam(None, values, type_=postgresql.ARRAY(column.type))


def plan_for_values(conn: Connection) -> None:
    """Plan every statement of this transaction for its own values (PostgreSQL): psycopg
    prepares a statement from its sixth run, and PostgreSQL may then keep a generic plan
    made while a table was nearly empty (a rebuild's shadow tables, a new read model), a
    scan of the whole table long after it has grown."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def insert_into(target: Target, table: Table) -> Any:
    """The dialect's INSERT (for ON CONFLICT)."""
    dialect = postgresql if target.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def upsert(
    target: Target,
    table: Table,
    rows: Sequence[Row],
    keys: Sequence[str],
    *,
    add: Sequence[str] = (),
    replace: Sequence[str] = (),
    keep_first: Sequence[str] = (),
) -> None:
    """Insert rows; on a key conflict add the `add` columns, overwrite the `replace` ones,
    and fill the `keep_first` ones only where they are still empty. Rows are applied as if
    one after the other, so several rows with the same key in one call are fine."""
    if not rows:
        return
    merging = bool(add or replace or keep_first)  # DO NOTHING takes repeated keys as they are
    if merging:  # PostgreSQL refuses to update a row twice in one statement; SQLite writes less
        rows = _merge_same_keys(rows, keys, add, replace, keep_first)
    if target.dialect.name == "postgresql":
        payload = _json_rows(table, list(rows))
        if payload is not None:
            sql = text(_recordset_upsert(table, list(rows[0]), keys, add, replace, keep_first))
            _perform(target, lambda conn: conn.execute(sql, {"rows": payload}))
            return
    stmt = insert_into(target, table)
    updates = {c: table.c[c] + stmt.excluded[c] for c in add}
    updates.update({c: stmt.excluded[c] for c in replace})
    updates.update({c: func.coalesce(table.c[c], stmt.excluded[c]) for c in keep_first})
    if updates:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    kind = _Kind("upsert", tuple(keys), tuple(add), tuple(replace), tuple(keep_first), merging)
    _execute_many(target, stmt, table, rows, kind)


def insert_ignoring_duplicates(
    target: Target, table: Table, rows: Sequence[Row], keys: Sequence[str]
) -> None:
    """Insert rows whose key is new; silently keep existing ones."""
    upsert(target, table, rows, keys)


def insert_new(target: Target, table: Table, rows: Sequence[Row]) -> None:
    """Insert rows that cannot be there yet: keyed by events the writer has just found new
    (applied once each, in this transaction). On PostgreSQL by binary `COPY`, which skips
    the JSON expansion and the conflict check of an upsert (half of PostgreSQL's time for
    such rows). A key already there is an error here, never skipped."""
    if not rows:
        return
    if target.dialect.name == "postgresql":
        columns = list(rows[0])
        documents = {c for c in columns if isinstance(table.c[c].type, JSON)}
        values = _copied_values(rows, columns, documents)
        _perform(target, lambda conn: _copy(conn, table, columns, documents, values))
        return
    _execute_many(target, table.insert(), table, rows, _Kind("insert"))


def _picker(columns: Sequence[str]) -> Callable[[Row], tuple[Any, ...]]:
    """A row's values in the columns' order, as a tuple, picked in C (`itemgetter` gives a
    single column's value bare)."""
    if len(columns) == 1:
        column = columns[0]
        return lambda row: (row[column],)
    return itemgetter(*columns)


def _copied_values(
    rows: Sequence[Row], columns: list[str], documents: set[str]
) -> list[Sequence[Any]]:
    """The rows' values in the columns' order; a document as its JSON text, which the server
    parses."""
    values = _picker(columns)
    if not documents:
        return [values(row) for row in rows]
    at = [i for i, c in enumerate(columns) if c in documents]
    copied: list[Sequence[Any]] = []
    for row in rows:
        value = list(values(row))
        for i in at:
            value[i] = orjson.dumps(value[i]).decode()
        copied.append(value)
    return copied


@dataclass(frozen=True)
class _ManyRows:
    """A statement compiled once for rows of one shape (SQLite): its SQL, the rows' columns in
    its parameters' order, the fixed defaults of the columns the rows leave out (by
    position, in increasing order) and the positions whose values the column type converts
    for the driver. `from_json`: the same statement taking every row at once as a JSON
    array of their values (None when its SQL has parameters beyond the rows'), and `floats`
    the positions of the values JSON may not hold (an infinity is no JSON number)."""

    sql: str
    columns: tuple[str, ...]
    defaults: tuple[tuple[int, Any], ...]
    converts: tuple[tuple[int, Callable[[Any], Any]], ...]
    from_json: str | None = None
    floats: tuple[int, ...] = ()

    def send(self, values: list[tuple[Any, ...]]) -> tuple[str, Any]:
        """The statement and parameters that write the laid-out rows. One statement over a
        JSON array runs in one step of SQLite, with the GIL released throughout; an
        executemany takes the GIL back after every row, and with a decoding thread holding
        it each row waits out a switch interval (bench/RESULTS.md, "SQLite's rows in one
        step")."""
        if self.from_json is not None and self._fits_json(values):
            try:
                return self.from_json, (orjson.dumps(values).decode(),)
            except TypeError:  # a value JSON cannot hold: the driver says what it makes of it
                pass
        return self.sql, values

    def _fits_json(self, values: list[tuple[Any, ...]]) -> bool:
        if not self.floats:
            return True
        return all(row[i] is None or isfinite(row[i]) for row in values for i in self.floats)

    def values(self, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
        """The rows' values in the statement's order (the columns picked in C by
        `itemgetter`, then the defaults put in and the values that need it converted)."""
        pick = _picker(self.columns)
        laid_out = []
        for row in rows:
            values = list(pick(row))
            for i, default in self.defaults:
                values.insert(i, default)
            for i, convert in self.converts:
                values[i] = convert(values[i])
            laid_out.append(tuple(values))
        return laid_out


_compiled_many: dict[tuple[Any, ...], _ManyRows] = {}


def _execute_many(
    target: Target, stmt: Any, table: Table, rows: Sequence[Row], kind: _Kind
) -> None:
    """An executemany of `stmt`, an INSERT into `table` (`kind` tells it from the other
    statements into it), over rows with the first row's columns. On SQLite, SQLAlchemy would
    compile the parameters of each row and convert each value on the connection's thread,
    inside the transaction: a fifth of a SQLite projection's time. Here the statement is
    compiled once per engine, statement and columns, and the rows are laid out as the driver
    takes them when the write is planned (before the transaction, for a `WritePlan`)."""
    if target.dialect.name != "sqlite":
        listed = list(rows)
        _perform(target, lambda conn: conn.execute(stmt, listed))
        return
    columns = tuple(rows[0])
    key = (target.dialect, table, kind, columns)  # the dialect: its engine's JSON serializer
    many = _compiled_many.get(key)
    if many is None:
        many = _compiled_many[key] = _compile_many(
            target.dialect, stmt, table, columns, _in_order(kind)
        )
    sql, parameters = many.send(many.values(rows))
    _perform(target, lambda conn: conn.exec_driver_sql(sql, parameters))


class _Kind(NamedTuple):
    """What a statement into a table does to its rows, which its compiled form depends on:
    an insert, or an upsert on `keys` (`one_per_key` when its rows were merged by key)."""

    statement: str
    keys: tuple[str, ...] = ()
    add: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    keep_first: tuple[str, ...] = ()
    one_per_key: bool = False


def _in_order(kind: _Kind) -> bool:
    """Whether the rows' order can change what is stored: an upsert that keeps the first or
    the last row of a key does, unless its rows were merged to one per key; an insert (a key
    twice is an error) and an upsert that only adds do not."""
    if kind.statement != "upsert" or kind.one_per_key:
        return False
    return bool(kind.replace or kind.keep_first or not kind.add)


def _compile_many(
    dialect: Dialect, stmt: Any, table: Table, columns: Sequence[str], in_order: bool
) -> _ManyRows:
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    if not compiled.positional:
        raise ValueError(f"{dialect.name} takes named parameters")
    types = {p.key: p.type for p in compiled.binds.values()}
    given: list[str] = []
    defaults: list[tuple[int, Any]] = []
    converts: list[tuple[int, Callable[[Any], Any]]] = []
    floats: list[int] = []
    for i, name in enumerate(compiled.positiontup or ()):
        impl = types[name].dialect_impl(dialect)
        if isinstance(impl, Numeric | Float):  # not one another's kind in SQLAlchemy 2.1
            floats.append(i)
        convert = _quicker(impl, impl.bind_processor(dialect))
        if name in columns:
            given.append(name)
            if convert is not None:
                converts.append((i, convert))
            continue
        default = table.c[name].default if name in table.c else None
        if default is None or not default.is_scalar:
            raise ValueError(f"rows of {table.name} give no {name} and it has no fixed default")
        value = default.arg
        defaults.append((i, value if convert is None else convert(value)))
    from_json = _from_json(compiled.string, len(compiled.positiontup or ()), in_order)
    return _ManyRows(
        compiled.string, tuple(given), tuple(defaults), tuple(converts), from_json, tuple(floats)
    )


_VALUES = re.compile(r"\A(INSERT INTO .+?\)) VALUES \((\?(?:, \?)*)\)(.*)\Z", re.DOTALL)


def _from_json(sql: str, count: int, in_order: bool) -> str | None:
    """SQLite's `INSERT … VALUES (?, …) …` as `INSERT … SELECT … FROM json_each(?) …`,
    taking a JSON array of the rows' values, applied in the array's order when `in_order`
    (a sort of the rows, about a twentieth of the statement); None when the statement has
    other parameters. `WHERE true`: how SQLite tells an ON CONFLICT from a join's ON."""
    found = _VALUES.match(sql) if sqlite3.sqlite_version_info >= (3, 38) else None  # `->>`
    if found is None or found[2].count("?") != count or "?" in found[1] + found[3]:
        return None
    picked = ", ".join(f"value ->> {i}" for i in range(count))
    order = " ORDER BY key" if in_order else ""
    return f"{found[1]} SELECT {picked} FROM json_each(?) WHERE true{order}{found[3]}"


def _quicker(impl: Any, convert: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """SQLite's conversion of a date or a time done by `isoformat`, in C: the same text as
    SQLAlchemy's `%`-formatting of a dict of its fields (a time's zone dropped, as SQLAlchemy
    drops it) in a fraction of the time. Kept only if it writes what SQLAlchemy writes for
    sample values (a column with its own storage format does not); any other value, and any
    value but a plain `date` or `datetime`, is left to SQLAlchemy."""
    if convert is None:
        return None
    original = convert
    if isinstance(impl, sqlite.DATETIME):

        def quick(value: Any) -> Any:
            if value.__class__ is datetime:
                return value.isoformat(" ", "microseconds")[:26]
            return original(value)

    elif isinstance(impl, sqlite.DATE):

        def quick(value: Any) -> Any:
            return value.isoformat() if value.__class__ is date else original(value)

    else:
        return convert
    agrees = all(quick(sample) == original(sample) for sample in _SAMPLE_TIMES)
    return quick if agrees else original


_SAMPLE_TIMES = (
    datetime(987, 6, 5, 4, 3, 2, 1, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59),
    date(9, 1, 2),
)


def _copy(
    conn: Connection,
    table: Table,
    columns: list[str],
    documents: set[str],
    values: list[Sequence[Any]],
) -> None:
    oids = [_TEXT_OID if c in documents else oid for c, oid in _column_types(conn, table, columns)]
    names = ", ".join(f'"{c}"' for c in columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT BINARY)'
    with copying(conn, statement) as copy:
        copy.set_types(oids)
        for row in values:
            copy.write_row(row)


_TEXT_OID = 25


@contextmanager
def copying(conn: Connection, statement: str) -> Iterator[psycopg.Copy]:
    """A `COPY … FROM STDIN` on the connection's driver (PostgreSQL), in its transaction; the
    driver's errors raised as SQLAlchemy's (an OperationalError is retried like any other)."""
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            yield copy
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


def _column_types(conn: Connection, table: Table, columns: list[str]) -> list[tuple[str, int]]:
    """The columns' type oids, as the server has them (the table found by `search_path`, so a
    rebuild's shadow copy); asked once per connection and table."""
    known: dict[str, dict[str, int]] = conn.info.setdefault("column_types", {})
    types = known.get(table.name)
    if types is None or any(c not in types for c in columns):
        found = conn.execute(_COLUMN_TYPES, {"table": f'"{table.name}"'})
        types = known[table.name] = {name: int(oid) for name, oid in found}
    return [(c, types[c]) for c in columns]


_COLUMN_TYPES = text(
    "SELECT attname, atttypid FROM pg_attribute "
    "WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped"
)


def _merge_same_keys(
    rows: Sequence[Row],
    keys: Sequence[str],
    add: Sequence[str],
    replace: Sequence[str],
    keep_first: Sequence[str],
) -> list[Row]:
    """One row per key, equal to applying the rows in order. A row whose key comes once is
    passed on as it is; a key's first row is copied before another is merged into it."""
    key_of = itemgetter(*keys)
    merged: dict[Any, Row] = {}
    copied: set[Any] = set()
    for row in rows:
        key = key_of(row)
        first = merged.get(key)
        if first is None:
            merged[key] = row
            continue
        if key not in copied:
            first = merged[key] = dict(first)
            copied.add(key)
        for c in add:
            first[c] = first[c] + row[c]
        for c in replace:
            first[c] = row[c]
        for c in keep_first:
            if first[c] is None:
                first[c] = row[c]
    return list(merged.values())


def _json_rows(table: Table, rows: list[Row]) -> str | None:
    """The rows as a JSON array, or None when a value would not survive the trip: bytes,
    or None in a JSON column (SQLAlchemy stores that as JSON null, not SQL NULL)."""
    columns = [table.c[name] for name in rows[0]]
    if any(isinstance(c.type, LargeBinary) for c in columns):
        return None
    documents = [c.name for c in columns if isinstance(c.type, JSON)]
    if any(row[name] is None for row in rows for name in documents):
        return None
    return orjson.dumps(rows).decode()


def _recordset_upsert(
    table: Table,
    columns: list[str],
    keys: Sequence[str],
    add: Sequence[str],
    replace: Sequence[str],
    keep_first: Sequence[str],
) -> str:
    name = f'"{table.name}"'
    cols = ", ".join(f'"{c}"' for c in columns)
    sets = [f'"{c}" = {name}."{c}" + EXCLUDED."{c}"' for c in add]
    sets += [f'"{c}" = EXCLUDED."{c}"' for c in replace]
    sets += [f'"{c}" = COALESCE({name}."{c}", EXCLUDED."{c}")' for c in keep_first]
    conflict = ", ".join(f'"{k}"' for k in keys)
    action = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
    return (
        f"INSERT INTO {name} ({cols}) SELECT {cols} "
        f"FROM json_populate_recordset(NULL::{name}, CAST(:rows AS json)) "
        f"ON CONFLICT ({conflict}) {action}"
    )
