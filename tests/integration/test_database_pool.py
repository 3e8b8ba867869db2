"""The read models' connection pool on PostgreSQL: a connection that rested is checked before
use and replaced when the server dropped it; one given back a moment ago is used at once."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from projections import database
from projections.database import make_engine
from projections.queries import one_statement


@pytest.fixture
def pg(database_url: str) -> Iterator[Engine]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the pool's checks are PostgreSQL's; SQLite opens a file")
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _drop_every_connection(engine: Engine) -> int:
    """What a server restart does to the pool: every backend of the database ends."""
    url = engine.url.set(database="postgres")
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        ended = conn.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": engine.url.database},
        )
    admin.dispose()
    return int(ended or 0)


def _pings(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> list[int]:
    seen: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_conn: object) -> bool:
        seen.append(1)
        return ping(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def _one(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT 1")) or 0)


def test_a_connection_given_back_a_moment_ago_is_used_without_a_ping(
    pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _pings(monkeypatch, pg)
    for _ in range(20):
        assert _one(pg) == 1
    assert pings == []


def test_a_rested_connection_is_pinged_and_one_the_server_dropped_is_replaced(
    pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _one(pg) == 1
    pings = _pings(monkeypatch, pg)
    monkeypatch.setattr(database, "IDLE_BEFORE_PING", 0.05)
    assert _drop_every_connection(pg) >= 1
    time.sleep(0.1)
    assert _one(pg) == 1  # the ping found it dead: a new connection answered
    assert len(pings) == 1


def test_a_dropped_connection_used_at_once_fails_once_then_the_pool_recovers(
    pg: Engine,
) -> None:
    assert _one(pg) == 1
    assert _drop_every_connection(pg) >= 1
    with pytest.raises(OperationalError):  # the API answers this one 503
        _one(pg)
    assert _one(pg) == 1


def test_a_read_of_one_statement_opens_no_transaction_and_leaves_none_behind(
    pg: Engine,
) -> None:
    from psycopg.pq import TransactionStatus

    def status(conn: Connection) -> TransactionStatus:
        return conn.connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]

    with one_statement(pg) as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert status(conn) == TransactionStatus.IDLE  # no BEGIN, so no ROLLBACK either
    with pg.connect() as conn:  # the same pooled connection, transactional again for writers
        conn.execute(text("SELECT 1"))
        assert status(conn) == TransactionStatus.INTRANS
    assert pg.pool.checkedout() == 0
