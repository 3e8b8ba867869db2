"""The published checkpoints of the ledger's hash chains, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from projections.paging import Page, Paging, Sort, read_page
from projections.tables import ledger_checkpoints, projection_positions


def latest_checkpoints(engine: Engine, limit: int = 10) -> list[dict[str, Any]]:
    query = (
        select(ledger_checkpoints.c.body)
        .order_by(ledger_checkpoints.c.checkpoint_id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(body) for body in conn.execute(query).scalars()]


def checkpoints_page(engine: Engine, paging: Paging) -> Page:
    """A page of the checkpoints, newest first, each as signed."""
    c = ledger_checkpoints
    newest_first = [Sort(c.c.checkpoint_id, "checkpoint_id", descending=True)]
    found = read_page(engine, select(c.c.checkpoint_id, c.c.body), newest_first, paging)
    return Page([dict(row["body"]) for row in found.items], found.next)


def record_checkpoint(engine: Engine, body: dict[str, Any], issued_at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(ledger_checkpoints).values(issued_at=issued_at, key_id=body["key_id"], body=body)
        )


def projected_offsets(engine: Engine, projection: str, topic: str) -> dict[int, int]:
    """Partition -> the last offset of `topic` the projection applied."""
    p = projection_positions
    query = select(p.c.partition, p.c.offset).where(
        p.c.projection == projection, p.c.topic == topic
    )
    with engine.connect() as conn:
        return {int(partition): int(offset) for partition, offset in conn.execute(query).all()}
