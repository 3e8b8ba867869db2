"""Engines for the read-model database and its schema migrations (alembic)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, exc, text

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend: WAL and a busy timeout on SQLite, a pool on PostgreSQL.

    A failing statement's error names the statement, never its values: workers log such errors
    while they retry, and a row's values may come from a person's fields."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # Connections kept for a busy API's threads (anyio's 40 share them): each one opened
    # beyond the pool is closed on return, a new backend per request under load.
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=10, hide_parameters=True)
    _ping_after_idle(engine)
    return engine


POOL_SIZE = 20
IDLE_BEFORE_PING = 1.0  # seconds a pooled connection rests before it is checked on checkout


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection with a round trip only when it has rested a while.

    A connection given back a moment ago by a busy process is alive (and one that is not
    fails its query, which answers 503 and drops it like a failed ping would); one that rested
    may have outlived a database restart. A ping on every checkout costs each query a second
    round trip for nothing while the process is busy."""

    @event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_rested(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("checked_in_at")
        if since is None or time.monotonic() - since < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as failed:  # the pool drops this and older connections, then retries
            raise exc.InvalidatePoolError(str(failed)) from failed


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


MIGRATION_LOCK = 73_211_904  # any constant shared by every process of the deployment


def migrate(engine: Engine) -> None:
    """Bring the read-model schema to the latest revision (one process at a time)."""
    config = alembic_config(engine)
    if engine.dialect.name != "postgresql":
        command.upgrade(config, "head")  # SQLite serialises writers itself
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            conn.commit()
