"""Importing a registry export: households per second and the importer's peak memory for
`aid households import` of a generated file (made-up people, all in Al Haouz, each assigned
to one of 60 distribution sites), against the raw publish rate of as many registration
events to a topic of their own in the same run. Beside the import's own time, the seconds
after it until every household is offered to its site (`offers_done_after_s`).

The deciders and the projectors run in processes of their own, as deployed
(`AID_BENCH_WORKER_SPLIT=0`: one `aid worker`; `compare`: both, one after the other in the
same run); the CPU % of each worker process is printed.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psutil
from kafka import KafkaConsumer, TopicPartition

from bench.common import (
    REPO_ROOT,
    WORK_DIR,
    bench_settings,
    machine,
    produce,
    report,
    size,
    start_kafka,
    worker_layouts,
)
from bench.cpu import CpuUsage, database_name
from bench.system import SITES, _env, running_system
from bench.workload import envelope, household, identity
from services.runtime.settings import Settings
from services.runtime.topics import ensure_topics

# `aid`, telling its own peak memory and CPU on the way out (the importer's alone)
IMPORTER = (
    "import atexit, resource, sys\n"
    "def told(u=resource.getrusage):\n"
    "    r = u(resource.RUSAGE_SELF)\n"
    "    print('PEAK_RSS_KIB', r.ru_maxrss, 'CPU_S', r.ru_utime + r.ru_stime, file=sys.stderr)\n"
    "atexit.register(told)\n"
    "from services.runtime.cli import main; main()"
)
HEADER = "national_id,head_name,phone,size,region_code,province_code,groups,precarity_score,site_id"


def generate(path: Path, count: int) -> None:
    """A registry export of `count` households, written a line at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for n in range(count):
            groups = ("children", "elderly;disability", "")[n % 3]
            out.write(f"BK{n:07d},Chef de foyer {n},+212 6{n:08d},{1 + n % 8},MA07,MA0701,"
                      f"{groups},{n % 100},{SITES[n % len(SITES)]}\n")  # fmt: skip


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _offered_after(settings: Settings, count: int, timeout: float = 600.0) -> float | None:
    """Seconds until the slots' log has offered every household to its site (no site has a
    slot plan here, so its events are the offers, each naming the households it offers),
    or None after `timeout`."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    topic = settings.topic("slots")
    offered: set[str] = set()
    try:
        started = time.perf_counter()
        while not consumer.partitions_for_topic(topic) and time.perf_counter() - started < 60:
            time.sleep(0.2)
        consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
        consumer.seek_to_beginning()
        while time.perf_counter() - started < timeout:
            for records in consumer.poll(timeout_ms=200).values():
                for record in records:
                    event = orjson.loads(record.value)
                    if event["type"] == "HouseholdsExpected":
                        offered.update(h["household_id"] for h in event["data"]["households"])
            if len(offered) >= count:
                return round(time.perf_counter() - started, 1)
        return None
    finally:
        consumer.close()


def raw_publish_rate(count: int) -> float:
    """Registration events per second written straight to a households topic of their own
    (acks=all), before the system starts: the log's own pace on this machine."""
    settings = bench_settings(start_kafka(), "sqlite://")
    ensure_topics(settings)
    now = datetime.now(UTC)
    topic = settings.topic("households")
    records = (
        (
            topic,
            identity(n).encode(),
            envelope("HouseholdRegistered", household(n), now, f"raw-{n}"),
        )
        for n in range(count)
    )
    started = time.perf_counter()
    produce(settings.kafka_bootstrap, records)
    return count / (time.perf_counter() - started)


def main() -> list[dict[str, Any]]:
    count = size("import_households", 1_000_000)
    path = WORK_DIR / "registry-export.csv"
    generate(path, count)
    baseline = raw_publish_rate(count)
    try:
        return [imported(path, count, baseline, split) for split in worker_layouts()]
    finally:
        path.unlink()


def imported(path: Path, count: int, baseline: float, split: bool) -> dict[str, Any]:
    """Import the file into a fresh system and report the figures."""
    for kept in WORK_DIR.glob("keys.db*"):  # no claim of an earlier run: every key made anew
        kept.unlink()
    with running_system(0, "_import", split) as system:
        info = machine([system.settings.db_url])
        command = [sys.executable, "-c", IMPORTER, "households", "import", str(path)]
        workers = {n: psutil.Process(pid) for n, pid in system.processes.items() if n != "api"}
        before = {name: _cpu_seconds(process) for name, process in workers.items()}
        started = time.perf_counter()
        with CpuUsage((database_name(system.settings.db_url),)) as usage:
            done = subprocess.run(
                command, env=_env(system.settings), cwd=REPO_ROOT, capture_output=True, text=True
            )
        seconds = time.perf_counter() - started
        spent = {name: _cpu_seconds(p) - before[name] for name, p in workers.items()}
        rss = {name: process.memory_info().rss for name, process in workers.items()}
        offered = _offered_after(system.settings, count)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    peak = re.search(r"PEAK_RSS_KIB (\d+) CPU_S ([0-9.]+)", done.stderr)
    assert f"{count} lines, registered {count}, updated 0, unchanged 0, refused 0" in summary, (
        summary
    )
    cpu = usage.figures()
    importer_cpu = float(peak.group(2)) if peak else 0.0
    worker_cpu = sum(spent.values())
    total = importer_cpu + worker_cpu + cpu.get("kafka_cpu_s", 0.0) + cpu["postgres_cpu_s"]
    figures = {
        "worker": "deciders and projectors apart" if split else "one process",
        "households": count,
        "households_per_s": round(count / seconds, 1),
        "importer_peak_rss_mib": round(int(peak.group(1)) / 1024, 1) if peak else None,
        "worker_rss_mib_at_end": round(sum(rss.values()) / 2**20, 1),
        **{f"{name}_rss_mib_at_end": round(b / 2**20, 1) for name, b in rss.items() if split},
        # each household offered to its site by the households policy (its site list and
        # slots), after the import's last line was decided
        "offers_done_after_s": offered,
        "households_per_s_with_offers": round(count / (seconds + offered), 1) if offered else None,
        "raw_publish_events_per_s": round(baseline, 1),
        "import_vs_raw_publish": round(count / seconds / baseline, 3),
        # mean CPU % over the import (100 = one core): where the 2 cores' time goes
        "importer_cpu_pct": round(100 * importer_cpu / seconds, 1),
        "worker_cpu_pct": round(100 * worker_cpu / seconds, 1),  # all of its processes
        **{f"{name}_cpu_pct": round(100 * s / seconds, 1) for name, s in spent.items() if split},
        "kafka_cpu_pct": cpu.get("kafka_cpu_pct"),
        "postgres_cpu_pct": cpu["postgres_cpu_pct"],
        # the work one household costs them all, whatever else runs on the machine
        "cpu_ms_per_household": round(1000 * total / count, 2),
    }
    return report(f"households import (aid households import; {figures['worker']})", figures, info)


if __name__ == "__main__":
    main()
