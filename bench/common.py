"""What every benchmark shares: the machine it ran on, Kafka and databases, reporting.

Benchmarks use their own broker (port 17092, controller 17093, data under var/bench-kafka) and
their own PostgreSQL database (aid_bench), so they never touch what the tests or a developer
use. Ports sit below 32768, outside the range Linux hands out to client connections.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from kafka import KafkaAdminClient, KafkaProducer
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from services.runtime import kafka_local
from services.runtime.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
KAFKA_PORT = int(os.environ.get("AID_BENCH_KAFKA_PORT", "17092"))
KAFKA_DIR = Path(os.environ.get("AID_BENCH_KAFKA_DIR", REPO_ROOT / "var" / "bench-kafka"))
POSTGRES_URL = os.environ.get(
    "AID_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:15432/postgres"
)
BENCH_DATABASE = os.environ.get("AID_BENCH_DATABASE", "aid_bench")
WORK_DIR = Path(os.environ.get("AID_BENCH_DIR", REPO_ROOT / "var" / "bench"))


def worker_layouts() -> list[bool]:
    """How the system's worker runs, from `AID_BENCH_WORKER_SPLIT`: `1` (the default, as
    infra/deploy runs it) processes of their own, `--role deciders`, `--role policies` and
    `--role projectors` (bench/system.py); `0` one `aid worker`; `compare` both, one after
    the other in the same run (True: apart)."""
    chosen = os.environ.get("AID_BENCH_WORKER_SPLIT", "1")
    layouts = {"0": [False], "1": [True], "compare": [False, True]}
    if chosen not in layouts:
        raise SystemExit(f"AID_BENCH_WORKER_SPLIT is 0, 1 or compare, not {chosen!r}")
    return layouts[chosen]


def size(name: str, default: int) -> int:
    """A benchmark size from `AID_BENCH_<NAME>`, else the issue's default."""
    return int(os.environ.get(f"AID_BENCH_{name.upper()}", default))


def start_kafka() -> str:
    """The benchmarks' own broker, started if needed; returns its bootstrap address.
    `AID_BENCH_KAFKA_BOOTSTRAP` points at a broker already running instead (the smoke test)."""
    if bootstrap := os.environ.get("AID_BENCH_KAFKA_BOOTSTRAP"):
        return bootstrap
    kafka_local.ensure_jars(REPO_ROOT)
    try:
        kafka_local.start(KAFKA_DIR, port=KAFKA_PORT, controller_port=KAFKA_PORT + 1)
    except kafka_local.PortTaken as exc:
        raise SystemExit(f"{exc}; the benchmarks' port comes from AID_BENCH_KAFKA_PORT") from None
    bootstrap = f"127.0.0.1:{KAFKA_PORT}"
    forget_earlier_runs(bootstrap)
    return bootstrap


def forget_earlier_runs(bootstrap: str) -> list[str]:
    """Delete the topics earlier runs left on the benchmarks' own broker (each run writes
    under a fresh prefix, `bench_settings`); returns their names. Kept, they add up to
    tens of thousands of partitions, past the files a broker may hold open, and it takes
    its log directory offline."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=60_000)
    try:
        earlier = sorted(t for t in admin.list_topics() if BENCH_TOPIC.fullmatch(t))
        for start in range(0, len(earlier), 100):
            admin.delete_topics(earlier[start : start + 100], timeout_ms=60_000)
    finally:
        admin.close()
    return earlier


BENCH_TOPIC = re.compile(r"bench[0-9a-f]{8}\..+")


def _admin_engine() -> Any:
    url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def fresh_postgres(suffix: str = "") -> str:
    """An empty PostgreSQL database for one benchmark (dropped and created again)."""
    name = f"{BENCH_DATABASE}{suffix}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def fresh_sqlite(name: str) -> str:
    path = WORK_DIR / f"{name}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_suffix(".db-wal"), path.with_suffix(".db-shm")):
        leftover.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def bench_settings(bootstrap: str, database_url: str, **overrides: Any) -> Settings:
    """Settings with topics of their own (a fresh prefix), so every run starts empty."""
    values: dict[str, Any] = {
        "kafka_bootstrap": bootstrap,
        "topic_prefix": f"bench{uuid.uuid4().hex[:8]}.",
        "data_dir": WORK_DIR,
        "database_url": database_url,
        "partitions": 6,
        # A benchmark's fresh topics on a busy machine can take longer than the 3 s a
        # production API allows itself before it answers 503.
        "kafka_timeout_seconds": 15.0,
    }
    values.update(overrides)
    return Settings(**values)


class ProduceFailed(RuntimeError):
    """Some records were not acknowledged: the log does not hold what the totals count."""


def stock_reader(settings: Settings, name: str) -> AIOKafkaConsumer:
    """A consumer of the stock topic from its start, in a group of its own (`bench-<name>-…`),
    with the projector's isolation level."""
    return AIOKafkaConsumer(
        settings.topic("stock"),
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"bench-{name}-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )


def produce(bootstrap: str, records: Iterable[tuple[str, bytes, bytes]]) -> int:
    """Write (topic, key, value) records as fast as the broker takes them; returns the count.

    Every send is checked: acks=all with idempotence, so the producer retries what the broker
    refuses under load without doubling or reordering it, and a record it still could not
    write fails the benchmark instead of silently missing from the log the totals describe.
    """
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        batch_size=512 * 1024,
        compression_type=None,
    )
    failures: list[BaseException] = []  # appended to by the producer's I/O thread
    count = 0
    try:
        for topic, key, value in records:
            producer.send(topic, key=key, value=value).add_errback(failures.append)
            count += 1
        producer.flush()  # every send has now succeeded or failed
    finally:
        producer.close()
    if failures:
        raise ProduceFailed(
            f"{len(failures)} of {count} records not acknowledged by Kafka; "
            f"first error: {failures[0]!r}"
        )
    return count


def machine(database_urls: Sequence[str] = ()) -> dict[str, Any]:
    """Where the figures come from: cores, CPU model, Python, Kafka and database versions."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    kafka_jars = sorted((REPO_ROOT / "infra/kafka/target/lib").glob("kafka_2.13-*.jar"))
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "kafka": kafka_jars[0].stem.split("-", 1)[1] if kafka_jars else "unknown",
        "load_average_1m": round(os.getloadavg()[0], 2),  # others share the machine
    }
    for url in database_urls:
        if url.startswith("postgresql"):
            engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            with engine.connect() as conn:
                info["postgresql"] = conn.scalar(text("SHOW server_version"))
            engine.dispose()
        else:
            import sqlite3

            info["sqlite"] = sqlite3.sqlite_version
    return info


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max of latencies in seconds, reported in milliseconds."""
    if not samples:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


class Stopwatch:
    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


def report(name: str, figures: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    """Print a benchmark's figures for people, then one RESULT line for tools."""
    print(f"\n== {name} ==")
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    for key, value in figures.items():
        print(f"  {key}: {value}")
    result = {"benchmark": name, "machine": info, **figures}
    print("RESULT " + json.dumps(result, default=str), flush=True)
    return result
