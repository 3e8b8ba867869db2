"""A batch a projection cannot apply stops that projection alone, and not for good.

A bug in one projection, or an event it was not written for, must neither take the other
projections (nor the deciders beside them) down with it, nor be skipped: the projection
stays behind, stale rather than wrong, says where it stopped without quoting the events,
and starts again from its stored position until the cause is gone. These stories run the
real projector, writer and inventory projection on SQLite under `keep_running`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from projections.database import make_engine, migrate
from projections.projection import Batch
from projections.registry import PROJECTIONS
from services.runtime.projector import Projector
from services.runtime.restarts import keep_running
from services.runtime.settings import Settings
from tests.unit.test_projector_rebalance import (
    TOPIC,
    RebalancingConsumer,
    on_hand,
    receipts,
    stored,
)

LOG = receipts(10, 12)
EVERYTHING = {(TOPIC, 0): 9}
# what a database's error may quote of a row: never to be logged
QUOTED = "Failing row contains (CIN AB123456, Fatima Zahra)"


class SteadyConsumer(RebalancingConsumer):
    """The log of ten receipts, five records a fetch, with no rebalance."""

    async def getmany(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[Any, Any]:
        return await self._fetch(timeout_ms, max_records)


class Inventory:
    """The inventory projection; while `broken` is set, a batch holding receipt RB-7 raises
    (as a bug in a fold would) and is counted in `refused`."""

    def __init__(self) -> None:
        inner = PROJECTIONS["inventory"]
        self.inner, self.name, self.streams, self.tables = (
            inner,
            inner.name,
            ("stock",),
            inner.tables,
        )
        self.keyed_by_event, self.reads_views = inner.keyed_by_event, inner.reads_views
        self.write_only = False
        self.broken = False
        self.refused = 0

    def apply(self, conn: Connection, batch: Batch, replay: bool = False) -> None:
        if self.broken and any(a.event.lot == "RB-7" for a in batch):
            self.refused += 1
            raise ValueError(QUOTED)
        self.inner.apply(conn, batch, replay)


def engine_in(path: Path) -> Engine:
    path.mkdir()
    engine = make_engine(f"sqlite:///{path / 'readmodels.db'}")
    migrate(engine)
    return engine


def projector_of(path: Path, engine: Engine, projection: Inventory) -> Callable[[], Projector]:
    settings = Settings(
        kafka_bootstrap="127.0.0.1:1", topic_prefix="t.", data_dir=path, worker_batch_size=5
    )
    # a fresh consumer for each start, as a new consumer joining the group would be
    return lambda: Projector(settings, engine, projection, None, SteadyConsumer(LOG, batch=5))  # type: ignore[arg-type]


async def until(check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(check):
        assert asyncio.get_running_loop().time() < deadline, "not in time"
        await asyncio.sleep(0.01)


def test_a_batch_a_projection_cannot_apply_stops_it_alone_until_the_cause_is_gone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Given two projections of the same ten receipts of 12 baskets, one of which cannot
    apply the batch holding the eighth receipt, when both run side by side, then the other
    one projects all ten; the broken one stops at that batch, keeps the first five, says where
    it stopped and tries again; and once the cause is gone it projects all ten too."""
    healthy, broken = Inventory(), Inventory()
    broken.broken = True
    healthy_db, broken_db = engine_in(tmp_path / "healthy"), engine_in(tmp_path / "broken")
    keep = partial(keep_running, first=0.01, most=0.05)

    async def story() -> None:
        running = [
            asyncio.create_task(keep(projector_of(tmp_path / "healthy", healthy_db, healthy))),
            asyncio.create_task(keep(projector_of(tmp_path / "broken", broken_db, broken))),
        ]
        try:
            await until(lambda: stored(healthy_db) == EVERYTHING and broken.refused >= 3)
            assert (on_hand(healthy_db), on_hand(broken_db)) == (120, 60)
            assert stored(broken_db) == {(TOPIC, 0): 4}  # stopped, not skipped
            assert not any(task.done() for task in running)

            broken.broken = False
            await until(lambda: stored(broken_db) == EVERYTHING)
            assert on_hand(broken_db) == 120
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    with caplog.at_level(logging.ERROR, logger="services.runtime.restarts"):
        asyncio.run(asyncio.wait_for(story(), timeout=60))

    said = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(said) == broken.refused >= 3
    assert said[0] == (
        "projection inventory stopped at t.stock[0]@5-9: ValueError; starting it again in 0.01 s"
    )
    assert said[2].endswith("starting it again in 0.04 s")  # the pause doubles
    assert not any("AB123456" in line or "Fatima" in line for line in caplog.text.splitlines())


def test_a_projection_that_keeps_projecting_is_stopped_only_by_its_cancellation(
    tmp_path: Path,
) -> None:
    """Given a projection with nothing wrong, `keep_running` runs it until cancelled."""
    projection = Inventory()
    engine = engine_in(tmp_path / "db")

    async def story() -> None:
        task = asyncio.create_task(keep_running(projector_of(tmp_path / "db", engine, projection)))
        await until(lambda: stored(engine) == EVERYTHING)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(story(), timeout=30))
    assert on_hand(engine) == 120
