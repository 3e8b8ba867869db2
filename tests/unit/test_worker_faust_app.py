"""The worker's Faust app (services/runtime/faust_app.py): its consumer waits at most
`FETCH_WAIT_MS` for a fetch (not Faust's 1.5 s), and its streams take batches without waking
while none has begun (Faust's wake every `within`).

No broker is needed: the consumer is only made, never started, and the batches come from an
agent's in-memory test channel.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import faust

from services.runtime.faust_app import FETCH_WAIT_MS, WorkerApp
from services.runtime.settings import Settings
from services.runtime.worker import create_app

GUARD_SECONDS = 10  # only reached when something is wrong


def test_the_workers_consumer_waits_fifty_milliseconds_at_most_for_a_fetch(
    tmp_path: Path,
) -> None:
    app = create_app(Settings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:1"))

    async def made() -> object:
        thread = app.consumer._thread  # type: ignore[attr-defined]
        return thread._create_worker_consumer(app.transport)

    consumer = asyncio.run(made())

    assert FETCH_WAIT_MS == 50
    assert consumer._fetch_max_wait_ms == FETCH_WAIT_MS  # type: ignore[attr-defined]


def taken(app: faust.App, values: list[int], idle: float) -> tuple[list[list[int]], int]:
    """The batches (at most 3, a 5 ms window) an agent of `app` takes of `values` put after
    `idle` seconds of nothing, and how often its take woke while idle."""
    batches: list[list[int]] = []
    waits: list[Any] = []

    @app.agent()
    async def take(stream: Any) -> None:
        wait_for_stopped = stream.wait_for_stopped

        async def counted(*args: Any, **kwargs: Any) -> Any:
            waits.append(kwargs.get("timeout"))
            return await wait_for_stopped(*args, **kwargs)

        stream.wait_for_stopped = counted
        async for batch in stream.noack_take(3, 0.005):
            batches.append([event.value for event in batch])
            for event in batch:
                await stream.ack(event)

    async def run() -> int:
        async with take.test_context() as agent:
            await asyncio.sleep(idle)
            woke = len(waits)
            for value in values:
                await agent.put(value)
            async with asyncio.timeout(GUARD_SECONDS):
                while sum(map(len, batches)) < len(values):
                    await asyncio.sleep(0.001)
            return woke

    return batches, asyncio.run(run())


def test_an_idle_take_waits_for_its_first_event_without_waking() -> None:
    _, woke = taken(WorkerApp("idle", broker="kafka://127.0.0.1:1"), [1], idle=0.2)
    assert woke <= 2  # Faust's own take wakes every 5 ms: about 40 times in 0.2 s


def test_faust_s_own_take_wakes_all_the_time_which_is_why_the_worker_has_its_own() -> None:
    _, woke = taken(faust.App("ticking", broker="kafka://127.0.0.1:1"), [1], idle=0.2)
    assert woke >= 10


def test_a_take_hands_out_every_event_in_order_in_batches_of_at_most_its_size() -> None:
    # 8 is no multiple of 3: the last batch is handed out by its window closing, not full
    batches, _ = taken(WorkerApp("batches", broker="kafka://127.0.0.1:1"), list(range(8)), 0)

    assert [value for batch in batches for value in batch] == list(range(8))
    assert all(1 <= len(batch) <= 3 for batch in batches)
