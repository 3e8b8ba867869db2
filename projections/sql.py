"""Small SQL helpers that work the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, func
from sqlalchemy.dialects import postgresql, sqlite


def _insert(conn: Connection, table: Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    add: Sequence[str] = (),
    replace: Sequence[str] = (),
    keep_first: Sequence[str] = (),
) -> None:
    """Insert rows; on a key conflict add the `add` columns, overwrite the `replace` ones,
    and fill the `keep_first` ones only where they are still empty."""
    if not rows:
        return
    stmt = _insert(conn, table)
    updates = {c: table.c[c] + stmt.excluded[c] for c in add}
    updates.update({c: stmt.excluded[c] for c in replace})
    updates.update({c: func.coalesce(table.c[c], stmt.excluded[c]) for c in keep_first})
    if updates:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt, list(rows))


def insert_ignoring_duplicates(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert rows whose key is new; silently keep existing ones."""
    upsert(conn, table, rows, keys)
