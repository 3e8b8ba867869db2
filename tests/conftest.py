"""Shared fixtures: databases (SQLite and PostgreSQL), a real Kafka broker, a running system."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from projections.database import make_engine, migrate
from services.runtime.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
# The integration tier runs on two pytest-xdist workers (gw0, gw1), each with a test broker of
# its own: worker n's listens on AID_TEST_KAFKA_PORT + 1000 n (its controller on the next
# port), and the servers its tests start of their own take ports just above that (brokers at
# +10, +100, +200, +300, +400, the restart test's PostgreSQL at +500), so no two workers'
# ports meet. All below 32768, outside the range Linux hands out to client connections
# (32768-60999), which could be holding them.
WORKER_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
WORKER_PORT_STEP = 1000
TEST_KAFKA_PORT = (
    int(os.environ.get("AID_TEST_KAFKA_PORT", "19092")) + WORKER_PORT_STEP * WORKER_INDEX
)
POSTGRES_URL = os.environ.get("AID_TEST_POSTGRES_URL")
# `AID_LONG_FAULTS=1 make test` runs the long variants of the fault tests (more kills, rounds,
# commands) and every test on the broker on both backends (see `broker_backend`).
LONG_FAULTS = os.environ.get("AID_LONG_FAULTS") == "1"


def broker_backend(request: pytest.FixtureRequest) -> str | None:
    """The one backend a test on the broker runs on by default: the one its `one_backend`
    mark names, else PostgreSQL. Tests of the read models alone run on both: they are where
    the two backends differ, while a scenario on the broker exercises the same SQL again."""
    one = request.node.get_closest_marker("one_backend")
    if one is None and "kafka_bootstrap" not in request.fixturenames:
        return None
    return str(one.args[0]) if one and one.args else "postgresql"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty read-model database on each backend."""
    chosen = broker_backend(request)
    if chosen and request.param != chosen and not LONG_FAULTS:
        pytest.skip(f"a broker test: on {request.param} too with AID_LONG_FAULTS=1")
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'readmodels.db'}"
        return
    if not POSTGRES_URL:
        if os.environ.get("AID_REQUIRE_POSTGRES"):
            pytest.fail("AID_TEST_POSTGRES_URL is not set; run the tests with `make test`")
        pytest.skip("PostgreSQL not configured (AID_TEST_POSTGRES_URL)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(  # unpooled: a test may restart the server in between
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    for _ in range(30):  # the server may still be coming back from a restart
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            break
        except OperationalError:
            time.sleep(1)
    admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated read-model database."""
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real single-node Kafka broker for the whole test session."""
    from services.runtime import kafka_local

    data_dir = REPO_ROOT / "var" / ("test-kafka" + (f"-gw{WORKER_INDEX}" if WORKER_INDEX else ""))
    shutil.rmtree(data_dir, ignore_errors=True)
    kafka_local.ensure_jars(REPO_ROOT)
    try:
        kafka_local.start(data_dir, port=TEST_KAFKA_PORT, controller_port=TEST_KAFKA_PORT + 1)
    except kafka_local.PortTaken as exc:
        refusal = f"{exc}; the test broker's port comes from AID_TEST_KAFKA_PORT"
        if "PYTEST_XDIST_WORKER" in os.environ:
            # pytest.exit in an xdist worker ends it with its test unreported, which the
            # controller shows as an INTERNALERROR without this message: fail the tests instead.
            pytest.fail(refusal, pytrace=False)
        pytest.exit(refusal, returncode=1)
    yield f"127.0.0.1:{TEST_KAFKA_PORT}"
    kafka_local.stop(data_dir)


@pytest.fixture
def settings(kafka_bootstrap: str, database_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: its own topics (by prefix), database and data dir."""
    return Settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}.",
        data_dir=tmp_path,
        database_url=database_url,
        partitions=3,
        read_wait_seconds=15,
        # A test's fresh topics on a busy machine can take the broker longer than the 3 s a
        # production API allows itself before answering 503 (seen as "cannot listen for
        # decisions" on a first test). Tests of the 503 itself make settings of their own.
        kafka_timeout_seconds=10,
    )
