"""A stream processor that cannot handle a batch stops alone, and not for good.

A batch that reads but that a projection cannot apply, or a policy cannot react to (a bug,
or an event it was not written for), is never skipped: the processor stops at it, so it stays
behind (stale rather than wrong; a projection's lag shows in /healthz) with its position
before that batch. The other processors of the process and the deciders beside them go on.
`keep_running` says where it stopped, never the failure's own words (they may quote the
events' values), and starts it again from its position after a pause that doubles, so it
catches up once the cause is gone (a fix deployed, a database constraint lifted).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Protocol

log = logging.getLogger(__name__)

RESTART_FIRST = 1.0  # seconds before a stopped processor starts again, doubling
RESTART_MOST = 60.0  # to at most this


class BatchStopped(Exception):
    """A batch its processor could not handle: where it lies in the log (topic, partition,
    offset of each record) and the kind of failure."""

    def __init__(
        self, processor: str, records: Iterable[tuple[str, int, int]], cause: BaseException
    ) -> None:
        super().__init__(f"{processor} stopped at {extent(records)}: {type(cause).__name__}")


def extent(records: Iterable[tuple[str, int, int]]) -> str:
    """Each topic-partition's first and last offset among `records`."""
    spans: dict[tuple[str, int], tuple[int, int]] = {}
    for topic, partition, offset in records:
        first, last = spans.get((topic, partition), (offset, offset))
        spans[(topic, partition)] = (min(first, offset), max(last, offset))
    return ", ".join(f"{t}[{p}]@{a}-{b}" for (t, p), (a, b) in sorted(spans.items()))


class Restartable(Protocol):
    """A processor that runs until cancelled, or raises BatchStopped; `batches_done` counts
    the batches it got through."""

    batches_done: int

    async def run(self) -> None: ...


async def keep_running(
    start: Callable[[], Restartable], first: float = RESTART_FIRST, most: float = RESTART_MOST
) -> None:
    """Run what `start` makes until cancelled; each time it stops on a batch, start a new one
    after a pause that doubles up to `most` while it stops at once again (from `first` once
    it got through a batch)."""
    pause = first
    while True:
        processor = start()
        try:
            await processor.run()
            return
        except BatchStopped as stopped:
            if processor.batches_done:
                pause = first
            log.error("%s; starting it again in %g s", stopped, pause)
        await asyncio.sleep(pause)
        pause = min(pause * 2, most)
