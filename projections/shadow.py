"""A projection rebuilt beside its live tables, then swapped in (PostgreSQL).

Inside the rebuild's one transaction, under the projection's lock: a schema of its own holds
an empty copy of each of the projection's tables (columns, defaults, checks, the primary key
and unique constraints, which the writers' upserts need; no other index) and of the
bookkeeping tables (applied event ids, positions). `search_path` puts that schema first, so
the writers, which name their tables unqualified, write there unchanged, and still read any
other projection's tables from the live schema. After the replay the other indexes are built
on the filled tables in one pass each, the tables analysed, the projection's positions and
applied event ids moved into the live bookkeeping (a rebuild keeps its applied ids in memory
and `swap` writes them there directly, `record_applied`), and each live table dropped and
the rebuilt one moved in under its name, with its indexes and constraints under theirs.

Readers see the old rows until the transaction commits (from the swap to the commit they
wait for the few catalogue changes; the swap waits for whoever still reads the live tables,
without holding readers up more than half a second at a time); a rebuild that dies at any
point rolls all of it back, the schema with it. A projection whose tables another object
depends on (a foreign key, a view) or that draw on a sequence is not rebuilt this way
(`can_shadow`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from projections.projection import Projection
from projections.tables import applied_events, projection_positions

BOOKKEEPING = (applied_events, projection_positions)


@dataclass(frozen=True)
class Shadow:
    """Where a projection is being rebuilt, and what is left to do before the swap."""

    projection: str
    live: str  # the schema of the live tables
    schema: str  # the rebuild's own
    tables: tuple[str, ...]  # the projection's tables
    indexes: tuple[str, ...]  # CREATE INDEX statements for after the replay
    search_path: str  # as it was


def can_shadow(conn: Connection, projection: Projection) -> bool:
    """Whether the projection's tables can be swapped whole: on PostgreSQL, with no foreign
    key to or from them, no view on them and no column drawing on a sequence."""
    if conn.dialect.name != "postgresql":
        return False
    names = [t.name for t in projection.tables]
    return not conn.scalar(_DEPENDENTS, {"tables": names})


def open_shadow(conn: Connection, projection: Projection) -> Shadow:
    """Create the empty shadow tables and point this transaction's writes at them."""
    live = str(conn.scalar(text("SELECT current_schema()")))
    search_path = str(conn.scalar(text("SELECT current_setting('search_path')")))
    schema = f"rebuild_{projection.name}"
    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    later: list[str] = []
    for table in (*projection.tables, *BOOKKEEPING):
        later += _copy_table(conn, live, schema, table.name, table in BOOKKEEPING)
    conn.execute(text(f'SET LOCAL search_path TO "{schema}", "{live}"'))
    names = tuple(t.name for t in projection.tables)
    return Shadow(projection.name, live, schema, names, tuple(later), search_path)


def _copy_table(conn: Connection, live: str, schema: str, name: str, whole: bool) -> list[str]:
    """The empty copy with its keys; returns the index statements left for later (none when
    `whole`: the bookkeeping tables get every index at once)."""
    source, target = f'"{live}"."{name}"', f'"{schema}"."{name}"'
    conn.execute(text(f"CREATE TABLE {target} (LIKE {source} INCLUDING ALL EXCLUDING INDEXES)"))
    for constraint, definition in conn.execute(_KEYS, {"table": source}).all():
        conn.execute(text(f'ALTER TABLE {target} ADD CONSTRAINT "{constraint}" {definition}'))
    later = []
    for unique, definition in conn.execute(_INDEXES, {"table": source}).all():
        statement = _ON_TABLE.sub(f" ON {target} USING ", definition, count=1)
        if unique or whole:
            conn.execute(text(statement))
        else:
            later.append(statement)
    return later


def swap(
    conn: Connection,
    shadow: Shadow,
    patience: float | None = None,
    record_applied: Callable[[str], None] | None = None,
) -> None:
    """Index and analyse the rebuilt tables, move the positions and applied event ids to the
    live bookkeeping, and put the rebuilt tables in place of the live ones (waiting at most
    `patience` seconds, SWAP_PATIENCE by default, for others to let go of them).

    `record_applied(live_schema)` writes the replay's applied event ids straight into the
    live bookkeeping, once the projection's old ones are gone and before the live tables are
    locked: written first into the shadow's, then moved, the ids of 1,000,000 events cost
    PostgreSQL about 8 s instead of 4."""
    for statement in shadow.indexes:
        conn.execute(text(statement))
    for name in shadow.tables:
        conn.execute(text(f'ANALYZE "{shadow.schema}"."{name}"'))
    for table in BOOKKEEPING:
        columns = ", ".join(f'"{c.name}"' for c in table.columns)
        live, rebuilt = f'"{shadow.live}"."{table.name}"', f'"{shadow.schema}"."{table.name}"'
        conn.execute(text(f"DELETE FROM {live} WHERE projection = :p"), {"p": shadow.projection})
        conn.execute(text(f"INSERT INTO {live} ({columns}) SELECT {columns} FROM {rebuilt}"))
    if record_applied is not None:
        record_applied(shadow.live)
    # last: readers wait only from here to the commit
    _lock_live_tables(conn, shadow, SWAP_PATIENCE if patience is None else patience)
    for name in shadow.tables:
        conn.execute(text(f'DROP TABLE "{shadow.live}"."{name}"'))
        conn.execute(text(f'ALTER TABLE "{shadow.schema}"."{name}" SET SCHEMA "{shadow.live}"'))
    conn.execute(text(f'DROP SCHEMA "{shadow.schema}" CASCADE'))
    conn.execute(
        text("SELECT set_config('search_path', :path, true)"), {"path": shadow.search_path}
    )


def _lock_live_tables(conn: Connection, shadow: Shadow, patience: float) -> None:
    """Take the live tables for the swap, half a second at a time: a lock that waits queues
    every reader behind it, so while another transaction holds one of the tables (a rebuild
    of another projection reading it, a long report), let the readers through and try again.
    """
    names = ", ".join(f'"{shadow.live}"."{name}"' for name in shadow.tables)
    timeout = str(conn.scalar(text("SELECT current_setting('lock_timeout')")))
    pause, give_up = 0.05, time.monotonic() + patience
    while True:
        savepoint = conn.begin_nested()
        try:
            conn.execute(text("SET LOCAL lock_timeout = '500ms'"))
            conn.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
                raise
            savepoint.rollback()
            if time.monotonic() > give_up:  # e.g. two rebuilds each reading the other's tables
                raise SwapTimeout(
                    f"the live tables of {shadow.projection} stayed in use for "
                    f"{patience:.0f}s; nothing was changed, rebuild it again"
                ) from exc
            time.sleep(pause)
            pause = min(2.0, pause * 2)
            continue
        savepoint.commit()
        break
    conn.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": timeout})


_LOCK_NOT_AVAILABLE = "55P03"
SWAP_PATIENCE = 600.0  # seconds


class SwapTimeout(RuntimeError):
    """The live tables could not be taken for the swap; the rebuild rolls back."""


# " ON public.stock_movements USING " in what pg_get_indexdef prints
_ON_TABLE = re.compile(r" ON (?:ONLY )?\S+ USING ")

_KEYS = text(
    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE conrelid = CAST(:table AS regclass) AND contype IN ('p', 'u', 'x') ORDER BY conname"
)

# Indexes of the table that no constraint of its own stands for.
_INDEXES = text(
    "SELECT i.indisunique, pg_get_indexdef(i.indexrelid) FROM pg_index i "
    "WHERE i.indrelid = CAST(:table AS regclass) AND NOT EXISTS ("
    "SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid "
    "AND c.conrelid = i.indrelid) ORDER BY i.indexrelid"
)

# Anything that would stop a table being dropped and replaced: foreign keys to or from it,
# views (or rules) on it, a column whose default draws on a sequence.
_DEPENDENTS = text(
    "WITH t AS (SELECT c.oid FROM pg_class c "
    "WHERE c.relname = ANY(:tables) "
    "AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())) "
    "SELECT EXISTS (SELECT 1 FROM pg_constraint "
    "  WHERE contype = 'f' "
    "  AND (conrelid IN (SELECT oid FROM t) OR confrelid IN (SELECT oid FROM t))) "
    "OR EXISTS (SELECT 1 FROM pg_depend d JOIN pg_rewrite r ON d.objid = r.oid "
    "  WHERE d.classid = CAST('pg_rewrite' AS regclass) AND d.refobjid IN (SELECT oid FROM t) "
    "  AND r.ev_class <> d.refobjid) "
    "OR EXISTS (SELECT 1 FROM pg_attrdef a WHERE a.adrelid IN (SELECT oid FROM t) "
    "  AND pg_get_expr(a.adbin, a.adrelid) LIKE 'nextval(%') "
    "OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid IN (SELECT oid FROM t) "
    "  AND a.attidentity <> '')"
)
