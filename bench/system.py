"""A running system for the command-path benchmarks: the benchmarks' broker, PostgreSQL,
one `aid worker` (or, split, `aid worker --role deciders`, `--role policies` and `--role
projectors`, as infra/deploy runs them; with `AID_BENCH_POLICIES_APART=0`, the policies
beside the deciders, `--role deciders,policies`) and one `aid api` as processes, seeded
through Kafka with a site, a warehouse holding stock, a campaign, households and two users.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select

from bench.common import REPO_ROOT, WORK_DIR, bench_settings, fresh_postgres, start_kafka
from bench.workload import envelope, household, identity
from events.envelope import SYSTEM
from events.households import CampaignOpened
from events.reference import ItemDefined, LocationRegistered
from events.serialization import event_id_for, wrap
from events.stock import StockReceived
from events.users import UserCreated
from projections.database import make_engine, migrate
from projections.registry import PROJECTIONS
from projections.tables import households
from projections.writer import Message, apply_batch
from services.domain.users.credentials import new_token, token_hash
from services.runtime.publisher import KafkaEventPublisher
from services.runtime.recording import record
from services.runtime.settings import Settings
from services.runtime.topics import ensure_topics
from services.runtime.users import create_user, wait_projected

SITE, WAREHOUSE, ITEM, CAMPAIGN = "site-amizmiz", "wh-marrakech", "ramadan-basket", "ramadan-bench"
# Distribution sites a registry export assigns its households to (a national one: about
# 1,300 for a million households); the first is the one the commands use.
SITES = [SITE] + [f"site-bench-{n:02d}" for n in range(1, 60)]


@dataclass
class System:
    settings: Settings
    base_url: str
    agent: dict[str, str]
    operator: dict[str, str]
    households: int
    # the process ids of the workers (`worker`, or `deciders` and `projectors`) and the API
    processes: dict[str, int]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(settings: Settings) -> dict[str, str]:
    return dict(os.environ) | {
        "AID_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "AID_TOPIC_PREFIX": settings.topic_prefix,
        "AID_DATA_DIR": str(settings.data_dir),
        "AID_DATABASE_URL": settings.db_url,
        "AID_PARTITIONS": str(settings.partitions),
    }


def _spawn(settings: Settings, name: str, *args: str) -> subprocess.Popen[bytes]:
    log = (Path(settings.data_dir) / f"{name}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-c", "from services.runtime.cli import main; main()", *args],
        env=_env(settings),
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _seed(settings: Settings, publisher: KafkaEventPublisher, count: int) -> None:
    now = datetime.now(UTC)
    facts = [
        LocationRegistered(location_id=SITE, name="Amizmiz", kind="site", region_code="MA07",
                           region_name="Marrakech-Safi", province_code="MA0701",
                           province_name="Al Haouz"),
        LocationRegistered(location_id=WAREHOUSE, name="Entrepôt Marrakech", kind="warehouse",
                           region_code="MA07", region_name="Marrakech-Safi"),
        ItemDefined(item_id=ITEM, name="Panier Ramadan", unit="basket"),
        CampaignOpened(campaign_id=CAMPAIGN, name="Ramadan (bench)", item_id=ITEM,
                       quantity_per_household=1, starts_on=date(2020, 1, 1),
                       ends_on=date(2099, 12, 31)),
        StockReceived(receipt_id="bench-stock", location_id=WAREHOUSE, item_id=ITEM,
                      quantity=900_000_000, lot="bench-lot"),
    ]  # fmt: skip
    facts += [
        LocationRegistered(location_id=site, name=f"Point {n}", kind="site", region_code="MA07",
                           region_name="Marrakech-Safi", province_code="MA0701",
                           province_name="Al Haouz")
        for n, site in enumerate(SITES[1:], start=1)
    ]  # fmt: skip
    for i, fact in enumerate(facts):
        record(publisher, [fact], command_id=f"bench-seed-{i}", actor=SYSTEM,
               occurred_at=now, recorded_at=now)  # fmt: skip
    for n in range(count):
        data = household(n) | {"region_code": "MA07", "province_code": "MA0701"}
        value = envelope("HouseholdRegistered", data, now, f"bench-household-{n}")
        publisher.append("households", identity(n), [value])


def _wait_for(what: str, check: object, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.5)
    raise RuntimeError(f"timed out waiting for {what}; see the logs under {WORK_DIR}")


@contextmanager
def api_process(suffix: str) -> Iterator[tuple[Settings, Engine, str, int]]:
    """A migrated, empty read model and an `aid api` over it (no worker); the last value is
    the API's process id."""
    settings = bench_settings(start_kafka(), fresh_postgres(suffix))
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    migrate(engine)
    port = _free_port()
    api = _spawn(settings, f"api{suffix}", "api", "--port", str(port))
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_for("the API", lambda: httpx.get(f"{base_url}/healthz").status_code < 500)
        yield settings, engine, base_url, api.pid
    finally:
        _stop(api)
        engine.dispose()


def admin_user(settings: Settings, engine: Engine) -> dict[str, str]:
    """An admin written straight into the read model; returns its Authorization header."""
    token = new_token()
    event = UserCreated(username="bench.admin", role="admin",
                        token_hash=token_hash(token, settings.token_pepper))  # fmt: skip
    now = datetime.now(UTC)
    envelope = wrap(event, event_id=event_id_for("bench-admin", 0), occurred_at=now,
                    recorded_at=now, actor=SYSTEM, correlation_id="bench",
                    causation_id="bench-admin")  # fmt: skip
    apply_batch(engine, PROJECTIONS["users"], [Message("bench.users", 0, 0, envelope, event)])
    return {"Authorization": f"Bearer {token}"}


def _worker_roles(split: bool) -> dict[str, str]:
    """The worker processes by name, each with its `--role` ("": all of them)."""
    if not split:
        return {"worker": ""}
    if os.environ.get("AID_BENCH_POLICIES_APART", "1") == "0":
        return {"deciders": "deciders,policies", "projectors": "projectors"}
    return {"deciders": "deciders", "policies": "policies", "projectors": "projectors"}


@contextmanager
def running_system(households_count: int, suffix: str, split: bool = False) -> Iterator[System]:
    """Everything up and seeded; the processes are stopped on the way out. `split`: the
    deciders and the projectors in processes of their own."""
    bootstrap = start_kafka()
    settings = bench_settings(bootstrap, fresh_postgres(suffix))
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    ensure_topics(settings)
    engine = make_engine(settings.db_url)
    migrate(engine)
    publisher = KafkaEventPublisher(settings)
    port = _free_port()
    workers = {
        name: _spawn(settings, f"{name}{suffix}", "worker", *(("--role", role) if role else ()))
        for name, role in _worker_roles(split).items()
    }
    api = _spawn(settings, f"api{suffix}", "api", "--port", str(port))
    try:
        _seed(settings, publisher, households_count)
        agent, at = create_user(settings, publisher, "bench.agent", "agent", sites=[SITE])
        operator, ot = create_user(
            settings, publisher, "bench.operator", "operator", warehouses=[WAREHOUSE]
        )
        for position in (at, ot):
            assert wait_projected(engine, settings, position, timeout=120), "users not projected"

        def all_registered() -> bool:
            with engine.connect() as conn:
                found = conn.scalar(select(func.count()).select_from(households))
            return found == households_count

        _wait_for("the households to be projected", all_registered)
        base_url = f"http://127.0.0.1:{port}"
        _wait_for("the API", lambda: httpx.get(f"{base_url}/healthz").status_code < 500)
        yield System(
            settings,
            base_url,
            {"Authorization": f"Bearer {agent}"},
            {"Authorization": f"Bearer {operator}"},
            households_count,
            {name: process.pid for name, process in workers.items()} | {"api": api.pid},
        )
    finally:
        _stop(api)
        for worker in workers.values():
            _stop(worker)
        publisher.close()
        engine.dispose()
