"""HTTP load. Open loop (a rate > 0): requests start on a fixed schedule, at most `concurrency`
in flight, and latency counts from the scheduled start, so a slow server cannot hide its queue.
Closed loop (rate 0): `concurrency` clients each send the next request when the last answered;
latency counts from the send.

The client is aiohttp's: on the benchmarks' two cores the load generator competes with the
system it measures, and httpx's asyncio client cost 1.8–3.8 ms of CPU per request against
0.4 ms for aiohttp's, in the same run (bench/RESULTS.md, "Where a command's CPU goes")."""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.common import percentiles
from services.runtime.command_timing import HEADER, parse

Request = Callable[[int], tuple[str, str, dict[str, Any] | None]]  # i -> (method, path, body)


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    retries: int = 0
    stages: list[dict[str, float]] = field(default_factory=list)  # from Server-Timing headers

    def stage_figures(self) -> dict[str, dict[str, float]]:
        """p50 and p99 of each stage of the timed commands, in milliseconds."""
        names = dict.fromkeys(name for timed in self.stages for name in timed)
        figures = {}
        for name in names:
            found = percentiles([t[name] / 1000 for t in self.stages if name in t])
            figures[name] = {"p50_ms": found["p50_ms"], "p99_ms": found["p99_ms"]}
        return figures

    def figures(self) -> dict[str, Any]:
        done = len(self.latencies)
        return {
            "requests": done,
            "per_s": round(done / self.seconds, 1) if self.seconds else 0.0,
            **percentiles(self.latencies),
            "statuses": dict(sorted(self.statuses.items())),
            "retries": self.retries,
        }


async def _run(
    base_url: str, headers: dict[str, str], request: Request, count: int, rate: float,
    concurrency: int,
) -> Outcome:  # fmt: skip
    outcome = Outcome()
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        base_url=base_url, headers=headers, connector=connector, timeout=timeout
    ) as client:
        started = time.perf_counter()

        async def send(method: str, path: str, body: dict[str, Any] | None) -> tuple[int, str]:
            async with client.request(method, path, json=body) as response:
                await response.read()
                return response.status, response.headers.get(HEADER, "")

        async def one(i: int) -> None:
            due = started + i / rate if rate > 0 else 0.0
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            async with gate:
                due = due or time.perf_counter()
                method, path, body = request(i)
                try:
                    status, timing = await send(method, path, body)
                except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                    # a kept-alive connection the server just closed; the request carries its
                    # id, so sending it again is safe
                    outcome.retries += 1
                    status, timing = await send(method, path, body)
                outcome.latencies.append(time.perf_counter() - due)
                outcome.statuses[status] += 1
                if timing:
                    outcome.stages.append(parse(timing))

        await asyncio.gather(*(one(i) for i in range(count)))
        outcome.seconds = time.perf_counter() - started
    return outcome


def run(
    base_url: str, headers: dict[str, str], request: Request, count: int, rate: float,
    concurrency: int,
) -> Outcome:  # fmt: skip
    """Send `count` requests at `rate` per second; returns their latencies and statuses.

    The collector is off while they run, after a full collection whose survivors are frozen:
    with Python's thresholds, this process's own full collections took 80–112 ms in the
    middle of a command benchmark's phases, and a pause of the load generator is counted as
    the latency of every request it holds up (bench/RESULTS.md, "The load generator's
    pauses, and whose threshold")."""
    gc.collect()
    gc.freeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return asyncio.run(_run(base_url, headers, request, count, rate, concurrency))
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()
