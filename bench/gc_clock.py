"""A clock of the garbage collector's time, for the benchmarks that compare a frozen start-up
(services/runtime/gc_tuning.py) with the collector as Python sets it."""

from __future__ import annotations

import gc
import time
from types import TracebackType
from typing import Any


class GcClock:
    """Collections per generation and the time spent in them while the block runs
    (`gc.callbacks`: the collector calls back at the start and the end of each one, in the
    thread it runs in): CPU seconds of that thread, and wall seconds, which also count the
    time the process waited for a core."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.wall_seconds = 0.0
        self.collections = [0, 0, 0]
        self._started = (0.0, 0.0)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = (time.thread_time(), time.perf_counter())
        else:
            self.seconds += time.thread_time() - self._started[0]
            self.wall_seconds += time.perf_counter() - self._started[1]
            self.collections[info["generation"]] += 1

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        gc.callbacks.remove(self._callback)

    def figures(self) -> dict[str, Any]:
        """The clock's reading: CPU and wall milliseconds in the collector, and collections
        per generation."""
        return {
            "gc_cpu_ms": round(self.seconds * 1000, 1),
            "gc_wall_ms": round(self.wall_seconds * 1000, 1),
            "gc_collections": list(self.collections),
        }
