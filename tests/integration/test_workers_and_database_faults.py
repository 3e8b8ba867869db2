"""Faults around the projectors: workers sharing partitions, a PostgreSQL restart, a killed rebuild.

Receipts are produced straight into the stock topic (as in test_faults), with a
duplicate (a producer retry after a lost ack) every 50th; the read model must
end equal to the sum of the distinct receipts whatever happens to the workers,
the database or a rebuild.
"""

from __future__ import annotations

import glob
import os
import pwd
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from projections.tables import applied_events, inventory_lots
from projections.writer import positions
from services.runtime.settings import Settings
from tests.conftest import LONG_FAULTS, REPO_ROOT, TEST_KAFKA_PORT
from tests.integration.conftest import System
from tests.integration.test_faults import producer, receipt_bytes
from tests.support.processes import WorkerProcess, eventually, settings_env
from tests.support.read_models import inventory_snapshot

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

# Nine locations keyed by id spread the receipts over the three partitions of a test's topics.
LOCATIONS = [f"wh-{city}" for city in ("casablanca", "marrakech", "fes", "agadir", "oujda")] + [
    f"site-{place}" for place in ("al-haouz", "taroudant", "chichaoua", "azilal")
]
ITEMS = ["ramadan-basket", "flour-25kg", "oil-5l"]


# --- load and observation helpers ---------------------------------------------------------


class Receipts:
    """Produces numbered receipts into the stock topic and keeps the expected on-hand."""

    def __init__(self, settings: Settings, seed: int) -> None:
        self.settings = settings
        self.topic = settings.topic("stock")
        self.kafka = producer(settings)
        self.rng = random.Random(seed)
        self.expected: Counter[tuple[str, str]] = Counter()
        self.distinct = 0  # receipts sent, duplicates not counted
        self.sent = 0  # messages sent, duplicates counted
        self.done = threading.Event()
        self.error: BaseException | None = None

    def send(
        self,
        count: int,
        per_second: float | None = None,
        until: threading.Event | None = None,
        at_most: int = 0,
    ) -> None:
        """`count` receipts, then more (up to `at_most`) until `until` is set, if given."""
        started = time.monotonic()
        i = 0
        while i < count or (until is not None and not until.is_set() and i < at_most):
            n = self.distinct
            loc, item = self.rng.choice(LOCATIONS), self.rng.choice(ITEMS)
            qty = self.rng.randint(1, 50)
            value = receipt_bytes(n, loc, item, qty)
            self.kafka.send(self.topic, key=loc.encode(), value=value)
            self.sent += 1
            if n % 50 == 0:  # a producer retry after a lost ack: the same event again
                self.kafka.send(self.topic, key=loc.encode(), value=value)
                self.sent += 1
            self.expected[(loc, item)] += qty
            self.distinct += 1
            if per_second and i % 100 == 99:
                ahead = (i + 1) / per_second - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
            i += 1
        self.kafka.flush(timeout=60)

    def in_background(
        self,
        count: int,
        per_second: float,
        until: threading.Event | None = None,
        at_most: int = 0,
    ) -> threading.Thread:
        self.done.clear()

        def run() -> None:
            try:
                self.send(count, per_second, until, at_most)
            except BaseException as exc:
                self.error = exc
            finally:
                self.done.set()

        thread = threading.Thread(target=run, name="receipts", daemon=True)
        thread.start()
        return thread

    def join(self, thread: threading.Thread, timeout: float = 120) -> None:
        thread.join(timeout)
        assert not thread.is_alive(), "the producer did not finish"
        if self.error:
            raise self.error

    def close(self) -> None:
        self.kafka.close()


def on_hand(engine: Engine) -> Counter[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(inventory_lots)).all()
    totals: Counter[tuple[str, str]] = Counter()
    for row in rows:
        totals[(row.location_id, row.item_id)] += row.on_hand
    return +totals


def applied_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return (
            conn.scalar(
                select(func.count())
                .select_from(applied_events)
                .where(applied_events.c.projection == "inventory")
            )
            or 0
        )


def tolerant(check: Any) -> Any:
    """A check for `eventually` that counts a database error (server restarting) as not yet."""

    def run() -> bool:
        try:
            return bool(check())
        except DBAPIError:
            return False

    return run


def stock_end_offsets(settings: Settings) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    try:
        topic = settings.topic("stock")
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def stored_positions(engine: Engine, settings: Settings) -> dict[int, int]:
    with engine.connect() as conn:
        stored = positions(conn, "inventory")
    return {p: o for (t, p), o in stored.items() if t == settings.topic("stock")}


def assert_positions_at_the_end(engine: Engine, settings: Settings) -> None:
    ends = stock_end_offsets(settings)
    assert all(end > 0 for end in ends.values()), f"a partition got no receipts: {ends}"
    assert stored_positions(engine, settings) == {p: end - 1 for p, end in ends.items()}


def inventory_members(settings: Settings) -> list[set[int]]:
    """The stock partitions held by each member of the inventory projector's group."""
    group = f"{settings.topic_prefix}projection-inventory"
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10000)
    try:
        description = admin.describe_groups([group])[group]
    except KafkaError:  # no coordinator yet: the group is still forming
        return []
    finally:
        admin.close()
    if description.get("error") or description.get("group_state") != "Stable":
        return []
    members = []
    for member in description.get("members", []):
        assignment = member.get("member_assignment") or {}
        held: set[int] = set()
        for topic_partitions in assignment.get("assigned_partitions", []):
            if topic_partitions.get("topic") == settings.topic("stock"):
                held.update(topic_partitions.get("partitions", []))
        members.append(held)
    return members


def wait_members(settings: Settings, count: int, timeout: float = 60) -> list[set[int]]:
    seen: list[list[set[int]]] = []

    def check() -> bool:
        members = inventory_members(settings)
        seen.append(members)
        return (
            len(members) == count
            and all(members)
            and set().union(*members) == set(range(settings.partitions))
        )

    try:
        eventually(check, timeout=timeout, what=f"{count} projector(s) sharing the partitions")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen: {seen[-1:]}") from None
    return seen[-1]


def logs(*workers: WorkerProcess) -> str:
    return "\n".join(f"--- {w.log_path.name}\n{w.log_tail(25)}" for w in workers)


# --- 1. two workers, one killed, then a third joining under load ----------------------------


# `AID_LONG_FAULTS=1`: 10,000 receipts, then 5,000 while worker-3 joins
FIRST_LOAD, SECOND_LOAD = (10_000, 5_000) if LONG_FAULTS else (6_000, 3_000)


@pytest.mark.one_backend
def test_two_workers_one_killed_then_a_third_joining_lose_and_double_nothing(
    system: System,
) -> None:
    settings, engine = system.settings, system.engine
    second = WorkerProcess(settings, name="worker-2").start()
    third = WorkerProcess(settings, name="worker-3")
    receipts = Receipts(settings, seed=23)
    try:
        wait_members(settings, 2, timeout=60)

        load = receipts.in_background(FIRST_LOAD, per_second=1_500)
        eventually(
            lambda: applied_count(engine) >= FIRST_LOAD // 3,
            timeout=120,
            what=f"{FIRST_LOAD // 3:,} receipts applied\n{logs(system.worker, second)}",
        )
        system.worker.kill9()
        killed_at = applied_count(engine)
        assert killed_at < FIRST_LOAD, "the workers finished before one could be killed"
        print(f"worker killed at {killed_at} applied")
        receipts.join(load)

        eventually(
            lambda: on_hand(engine) == receipts.expected,
            timeout=90,
            what=f"worker-2 to take over and reach the receipts\n{logs(second)}",
        )
        assert applied_count(engine) == FIRST_LOAD
        assert second.process is not None and second.process.poll() is None
        assert wait_members(settings, 1) == [set(range(settings.partitions))]

        # receipts at 500/s, and more while worker-3 is still starting (a new process on a
        # busy machine can take longer than those seconds to join the group)
        joined = threading.Event()
        load = receipts.in_background(SECOND_LOAD, per_second=500, until=joined, at_most=60_000)
        time.sleep(1)
        third.start()
        rebalanced_under_load = False
        while not receipts.done.is_set():
            if len(inventory_members(settings)) == 2:
                rebalanced_under_load = True
                break
            time.sleep(0.5)
        joined.set()
        receipts.join(load)
        wait_members(settings, 2, timeout=60)
        assert rebalanced_under_load, "worker-3 joined only after the load was over"

        eventually(
            lambda: on_hand(engine) == receipts.expected,
            timeout=90,
            what=f"the receipts after worker-3 joined\n{logs(second, third)}",
        )
        assert applied_count(engine) == receipts.distinct >= FIRST_LOAD + SECOND_LOAD
        assert_positions_at_the_end(engine, settings)
    finally:
        receipts.close()
        third.discard()
        second.discard()


# --- 2. PostgreSQL restarted under load -----------------------------------------------------


# The restart test restarts a PostgreSQL server of its own, started for it on the port block of
# its xdist worker (the test broker's + 500): the tests running beside it on the other worker
# keep the shared server and their connections.
OWN_POSTGRES_PORT = TEST_KAFKA_PORT + 500


@pytest.fixture
def database_url(database_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """The shared backends' database, or for a test marked `own_postgresql` on PostgreSQL, the
    `postgres` database of a throwaway server of its own (infra/postgres.sh, data under var/)."""
    if not (
        request.node.get_closest_marker("own_postgresql") and database_url.startswith("postgresql")
    ):
        yield database_url
        return
    data_dir = REPO_ROOT / "var" / f"test-postgres-{OWN_POSTGRES_PORT}"
    env = dict(os.environ, AID_PG_PORT=str(OWN_POSTGRES_PORT), AID_DATA_DIR=str(data_dir))
    script = ["bash", str(REPO_ROOT / "infra" / "postgres.sh")]
    shutil.rmtree(data_dir, ignore_errors=True)
    started = subprocess.run(
        [*script, "start"], env=env, capture_output=True, text=True, timeout=120
    )
    assert started.returncode == 0, f"own PostgreSQL did not start: {started.stderr}"
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([*script, "stop"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def postgresql_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("restarts the PostgreSQL server: meaningless for a SQLite file")


def pg_ctl_restart_command(engine: Engine) -> list[str]:
    """`pg_ctl restart` for the server behind `engine`, as the owner of its data directory."""
    host = make_url(engine.url).host or "localhost"
    if host not in ("127.0.0.1", "localhost", "::1"):
        pytest.skip(f"PostgreSQL at {host} is not on this machine: cannot restart it")
    with engine.connect() as conn:
        data_dir = conn.scalar(text("SHOW data_directory"))
        major = int(conn.scalar(text("SHOW server_version_num"))) // 10_000
    pg_ctl = next(
        (
            b
            for b in (
                f"/usr/lib/postgresql/{major}/bin/pg_ctl",
                *glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
            )
            if os.path.exists(b)
        ),
        None,
    )
    if pg_ctl is None:
        pytest.skip("no pg_ctl under /usr/lib/postgresql/*/bin")
    owner = os.stat(data_dir).st_uid
    # `-l`: a restart forgets the log file it was started with; keep infra/postgres.sh's
    log = os.path.join(data_dir, "server.log")
    restart = [pg_ctl, "-D", data_dir, "-l", log, "-m", "fast", "-w", "-t", "60", "restart"]
    if os.geteuid() == owner:
        return restart
    if os.geteuid() == 0:
        return ["runuser", "-u", pwd.getpwuid(owner).pw_name, "--", *restart]
    pytest.skip(f"cannot run pg_ctl as the owner of {data_dir}")
    raise AssertionError("unreachable")


def postmaster_started(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT pg_postmaster_start_time()"))


RESTART_LOAD = 12_000 if LONG_FAULTS else 8_000


@pytest.mark.own_postgresql
def test_postgresql_restarted_under_load_the_worker_resumes_from_its_stored_positions(
    postgresql_only: None, system: System
) -> None:
    settings, engine = system.settings, system.engine
    restart = pg_ctl_restart_command(engine)
    started_before = postmaster_started(engine)
    receipts = Receipts(settings, seed=31)
    try:
        load = receipts.in_background(RESTART_LOAD, per_second=1_500)
        eventually(
            lambda: applied_count(engine) >= 2_000,
            timeout=120,
            what=f"2,000 receipts applied\n{system.worker.log_tail()}",
        )
        applied_before = applied_count(engine)
        t0 = time.monotonic()
        done = subprocess.run(restart, capture_output=True, text=True, timeout=90)
        restart_seconds = time.monotonic() - t0
        assert done.returncode == 0, f"pg_ctl restart failed: {done.stdout}\n{done.stderr}"
        # Under load means the worker still had receipts to write when the server went away
        # (on a busy machine the producer may be done by then; the projector is not).
        assert applied_before < RESTART_LOAD, "every receipt was written before the restart"
        print(f"PostgreSQL restarted in {restart_seconds:.1f}s at {applied_before} applied")
        receipts.join(load)

        eventually(
            tolerant(lambda: on_hand(engine) == receipts.expected),
            timeout=90,
            what=f"the receipts after the restart\n{system.worker.log_tail()}",
        )
        assert postmaster_started(engine) != started_before, "the server was not restarted"
        assert applied_count(engine) == receipts.distinct == RESTART_LOAD
        assert_positions_at_the_end(engine, settings)
        assert system.worker.process is not None and system.worker.process.poll() is None, (
            f"the worker died instead of resuming\n{system.worker.log_tail()}"
        )
        saw_outage = "read-model database unavailable" in system.worker.log_path.read_text()
        print(f"the worker {'retried through' if saw_outage else 'did not notice'} the outage")
    finally:
        receipts.close()


# --- 3. kill -9 during a rebuild --------------------------------------------------------------

REBUILD = """
from projections.database import make_engine
from projections.registry import PROJECTIONS
from services.runtime.rebuild import rebuild
from services.runtime.settings import Settings

settings = Settings()
applied = rebuild(
    settings,
    make_engine(settings.db_url),
    PROJECTIONS["inventory"],
    lambda read, total: print("progress", read, total, flush=True),
)
print("done", applied, flush=True)
"""


def assert_equal(actual: object, expected: object) -> None:
    assert actual == expected


def kill_a_rebuild_at(settings: Settings, kill_at: int, meanwhile: Callable[[], None]) -> None:
    """Run `rebuild` in a child process; once it has read `kill_at` messages, freeze it, call
    `meanwhile()`, then kill -9 it."""
    env = settings_env(settings) | {"AID_WORKER_BATCH_SIZE": "25"}  # small polls: slower
    stderr = (Path(settings.data_dir) / "rebuild.log").open("wb")
    child = subprocess.Popen(
        [sys.executable, "-c", REBUILD],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(child.stdout or ()), daemon=True)
    reader.start()

    def progress() -> tuple[int, int]:
        # whole lines only: the kill can cut the last one short
        reports = [
            ln.split() for ln in list(lines) if ln.startswith("progress") and ln.endswith("\n")
        ]
        return (int(reports[-1][1]), int(reports[-1][2])) if reports else (0, 1)

    eventually(
        lambda: progress()[0] >= kill_at or child.poll() is not None,
        timeout=60,
        what="the rebuild to be under way",
    )
    os.killpg(child.pid, signal.SIGSTOP)  # frozen mid-transaction while `meanwhile` looks
    meanwhile()
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    reader.join(timeout=10)
    stderr.close()
    read, total = progress()
    assert child.returncode == -signal.SIGKILL, f"the rebuild was not killed: {lines[-3:]}"
    assert not any(ln.startswith("done") for ln in lines)
    assert 0 < read < total, f"killed at {read}/{total}: not mid-way"
    print(f"rebuild killed at {read}/{total} messages read")


# PostgreSQL by default: its rebuild goes through shadow tables swapped in at the end, the
# path with more to undo when killed (SQLite rebuilds in place, with AID_LONG_FAULTS=1).
@pytest.mark.one_backend("postgresql")
def test_kill_9_during_a_rebuild_leaves_the_live_read_model_intact(system: System) -> None:
    from projections.registry import PROJECTIONS
    from services.runtime.rebuild import rebuild

    settings, engine = system.settings, system.engine
    receipts = Receipts(settings, seed=47)
    total = 20_000 if LONG_FAULTS else 8_000
    try:
        receipts.send(total)
        eventually(
            lambda: on_hand(engine) == receipts.expected,
            timeout=120,
            what=f"the live projection of {total:,} receipts\n{system.worker.log_tail()}",
        )
        before = inventory_snapshot(engine, settings)
        assert before["applied"] == total and before["card"][0] == total

        rng = random.Random(53)
        kills = 10 if LONG_FAULTS else 2  # `AID_LONG_FAULTS=1`: ten kills in a row
        for kill_at in sorted(rng.sample(range(total // 20, total // 2), kills)):
            # readers keep seeing the old rows while the rebuild's transaction is open
            kill_a_rebuild_at(
                settings,
                kill_at,
                meanwhile=lambda: assert_equal(inventory_snapshot(engine, settings), before),
            )
            # the killed rebuild's transaction rolled back: nothing changed, the lock is free
            assert inventory_snapshot(engine, settings) == before
            assert on_hand(engine) == receipts.expected

        t0 = time.monotonic()
        applied = rebuild(settings, engine, PROJECTIONS["inventory"])
        print(f"full rebuild in {time.monotonic() - t0:.1f}s")
        assert applied == total
        assert inventory_snapshot(engine, settings) == before

        # the live worker carries on from the rebuilt positions
        receipts.send(300)
        eventually(
            lambda: on_hand(engine) == receipts.expected,
            timeout=60,
            what=f"the receipts after the rebuild\n{system.worker.log_tail()}",
        )
        assert applied_count(engine) == total + 300
        assert_positions_at_the_end(engine, settings)
    finally:
        receipts.close()
