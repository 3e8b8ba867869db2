"""CPU per process over a benchmark phase, read with psutil: the benchmark process itself, the
benchmarks' Kafka broker (found by its data directory's broker.pid) and the PostgreSQL backends
serving the benchmark's databases (found by database name in their process title).

Backends come and go with connection pools, so a sampler thread reads them four times a second
and keeps each one's last reading; a backend that ends between two readings loses at most its
last quarter of a second. The benchmark's own figure includes that sampler.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil

from bench.common import KAFKA_DIR


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def kafka_broker() -> psutil.Process | None:
    """The benchmarks' broker JVM, by the pid file in its data directory (never another's)."""
    try:
        pid = int((KAFKA_DIR / "kafka" / "broker.pid").read_text().strip())
        process = psutil.Process(pid)
        # resolved: a worktree that links its var/ to another checkout's shares its broker
        if "kafka.Kafka" in process.cmdline() and any(
            str(KAFKA_DIR.resolve()) in arg for arg in process.cmdline()
        ):
            return process
    except (FileNotFoundError, ValueError, psutil.Error):
        pass
    return None


def _backends(databases: tuple[str, ...]) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to one of `databases`."""
    found: dict[int, float] = {}
    if not databases:
        return found
    for process in psutil.process_iter(["cmdline"]):
        title = " ".join(process.info["cmdline"] or ())
        if not title.startswith("postgres: "):
            continue
        words = title.split()
        if len(words) > 2 and words[2] in databases:  # "postgres: <user> <database> <host> ..."
            try:
                found[process.pid] = _cpu(process)
            except psutil.Error:
                continue
    return found


class CpuUsage:
    """`with CpuUsage(("aid_bench_projection",)) as usage: ...`, then `usage.figures()`."""

    def __init__(self, databases: tuple[str, ...] = ()) -> None:
        self.databases = databases
        self.me = psutil.Process()
        self.broker = kafka_broker()
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def _read_backends(self) -> None:
        for pid, seconds in _backends(self.databases).items():
            self._first.setdefault(pid, 0.0)  # started during the phase: all of it counts
            self._last[pid] = seconds

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            self._read_backends()

    def __enter__(self) -> CpuUsage:
        self._first = _backends(self.databases)
        self._last = dict(self._first)
        self.started = time.perf_counter()
        self.me_started = _cpu(self.me)
        self.broker_started = self._broker_cpu()
        self._sampler.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._sampler.join()
        self._read_backends()
        self.wall = time.perf_counter() - self.started
        self.me_cpu = _cpu(self.me) - self.me_started
        broker_now = self._broker_cpu()
        self.broker_cpu = (
            None
            if broker_now is None or self.broker_started is None
            else broker_now - self.broker_started
        )
        self.backends_cpu = sum(self._last[p] - self._first[p] for p in self._last)

    def _broker_cpu(self) -> float | None:
        try:
            return _cpu(self.broker) if self.broker is not None else None
        except psutil.Error:
            return None

    def figures(self) -> dict[str, Any]:
        """Wall seconds of the phase; CPU seconds (user+system) and mean CPU % (100 = one core)
        of each process measured."""

        def pct(seconds: float) -> float:
            return round(100 * seconds / self.wall, 1) if self.wall > 0 else 0.0

        out: dict[str, Any] = {
            "wall_s": round(self.wall, 2),
            "bench_cpu_s": round(self.me_cpu, 2),
            "bench_cpu_pct": pct(self.me_cpu),
        }
        if self.broker_cpu is not None:
            out |= {"kafka_cpu_s": round(self.broker_cpu, 2), "kafka_cpu_pct": pct(self.broker_cpu)}
        if self.databases:
            out |= {
                "postgres_cpu_s": round(self.backends_cpu, 2),
                "postgres_cpu_pct": pct(self.backends_cpu),
            }
        return out


def database_name(url: str) -> str:
    """The database a URL names (its last path segment)."""
    return Path(url.split("?", 1)[0]).name


class ProcessesCpu:
    """CPU of named processes (the system's workers, its API) over a phase:
    `with ProcessesCpu({"worker": pid}) as cpu: ...`, then `cpu.figures()`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}

    def _read(self) -> dict[str, float]:
        seconds = {}
        for name, process in self.processes.items():
            try:
                seconds[name] = _cpu(process)
            except psutil.Error:  # ended: counted up to its last reading
                seconds[name] = self._first.get(name, 0.0)
        return seconds

    def __enter__(self) -> ProcessesCpu:
        self._first: dict[str, float] = {}
        self._first = self._read()
        self.started = time.perf_counter()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.wall = time.perf_counter() - self.started
        self._last = self._read()

    def seconds(self) -> dict[str, float]:
        """Each process's CPU seconds (user + system) over the phase."""
        return {name: self._last[name] - self._first[name] for name in self.processes}

    def figures(self) -> dict[str, float]:
        """Each process's mean CPU % over the phase (100 = one core)."""
        return {
            f"{name}_cpu_pct": round(100 * seconds / self.wall, 1)
            for name, seconds in self.seconds().items()
        }


def cpu_ms_per_command(
    system: ProcessesCpu, others: CpuUsage, commands: int, cores: int
) -> dict[str, float]:
    """What one command cost each process in CPU milliseconds (the system's processes, the
    benchmark's own load generator, Kafka, PostgreSQL), their total, and the rate the
    machine's `cores` would sustain if that total were all that ran on them."""
    figures = {name: 1000 * s / commands for name, s in system.seconds().items()}
    figures["load_generator"] = 1000 * others.me_cpu / commands
    if others.broker_cpu is not None:
        figures["kafka"] = 1000 * others.broker_cpu / commands
    if others.databases:
        figures["postgres"] = 1000 * others.backends_cpu / commands
    total = sum(figures.values())
    rounded = {name: round(ms, 2) for name, ms in figures.items()}
    return rounded | {
        "total": round(total, 2),
        "cpu_bound_per_s": round(1000 * cores / total, 1) if total else 0.0,
    }
