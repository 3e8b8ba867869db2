"""The worker's Faust consumer waits at most `FETCH_WAIT_MS` for a fetch (not Faust's 1.5 s).

aiokafka keeps one fetch in flight per broker and leaves out of it the partitions whose
records are still buffered: commands arriving there wait for that fetch to end, so its wait
bounds how long a decider may sit idle with commands on the log. No broker is needed: the
consumer is only made here, never started.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.runtime.faust_transport import FETCH_WAIT_MS
from services.runtime.settings import Settings
from services.runtime.worker import create_app


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
