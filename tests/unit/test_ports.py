"""Fixed ports stay out of the range Linux hands out to connections, and a port already taken
is named in a clear refusal before any server is started."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import common as bench
from services.runtime import kafka_local
from tests import conftest

REPO_ROOT = Path(__file__).resolve().parents[2]
EPHEMERAL = range(kafka_local.EPHEMERAL_PORTS[0], kafka_local.EPHEMERAL_PORTS[1] + 1)


@pytest.fixture
def connection() -> Iterator[socket.socket]:
    """A client connection to a local server: its local port comes from the ephemeral range."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        yield client
        client.close()
        accepted.close()


def test_the_default_ports_of_tests_and_benchmarks_are_below_the_ephemeral_range() -> None:
    script = (REPO_ROOT / "infra" / "postgres.sh").read_text()
    postgres = int(re.search(r"AID_PG_PORT:-(\d+)", script).group(1))  # type: ignore[union-attr]
    defaults = {"postgres.sh": postgres}
    if "AID_TEST_KAFKA_PORT" not in os.environ:
        defaults["test broker"] = conftest.TEST_KAFKA_PORT
    if "AID_BENCH_KAFKA_PORT" not in os.environ:
        defaults["bench broker"] = bench.KAFKA_PORT
    for name, port in defaults.items():
        assert port not in EPHEMERAL and port + 1 not in EPHEMERAL, name


def test_each_integration_workers_brokers_stay_below_the_ephemeral_range() -> None:
    """Worker n's test broker and the servers its tests start (brokers up to + 400 and their
    controllers, a PostgreSQL at + 500) sit 1000 × n above the first worker's: for two
    workers, all below 32768."""
    first = conftest.TEST_KAFKA_PORT - conftest.WORKER_PORT_STEP * conftest.WORKER_INDEX
    for worker in range(2):
        base = first + conftest.WORKER_PORT_STEP * worker
        for port in range(base, base + 501):
            assert port not in EPHEMERAL, (worker, port)
    assert conftest.WORKER_PORT_STEP > 500  # one worker's ports never reach the next one's


def test_kafka_refuses_a_port_held_by_a_client_connection_before_starting(
    connection: socket.socket, tmp_path: Path
) -> None:
    port = connection.getsockname()[1]

    with pytest.raises(kafka_local.PortTaken, match=f"127.0.0.1:{port} already in use"):
        kafka_local.start(tmp_path, port=port, controller_port=port + 1)

    assert not (tmp_path / "kafka" / "broker.pid").exists()  # no JVM was launched


def test_kafka_refuses_a_port_where_another_server_listens(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as other:
        port = other.getsockname()[1]

        with pytest.raises(kafka_local.PortTaken, match=f"127.0.0.1:{port} already in use"):
            kafka_local.start(tmp_path, port=port - 1, controller_port=port)


def test_a_free_port_is_not_taken() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    assert not kafka_local.port_taken(port)


@pytest.mark.skipif(
    not list(Path("/usr/lib/postgresql").glob("*/bin/pg_isready")) or not shutil.which("python3"),
    reason="PostgreSQL's programs are not installed",
)
def test_postgres_script_names_a_port_held_by_something_else(
    connection: socket.socket, tmp_path: Path
) -> None:
    port = connection.getsockname()[1]
    env = dict(os.environ, AID_PG_PORT=str(port), AID_DATA_DIR=str(tmp_path))

    done = subprocess.run(
        ["bash", "infra/postgres.sh", "start"], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert done.returncode != 0
    assert f"127.0.0.1:{port}" in done.stderr and "AID_PG_PORT" in done.stderr
    assert not (tmp_path / "postgres").exists()
