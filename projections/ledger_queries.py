"""The published checkpoints of the ledger's hash chains, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from projections.tables import ledger_checkpoints


def latest_checkpoints(engine: Engine, limit: int = 10) -> list[dict[str, Any]]:
    query = (
        select(ledger_checkpoints.c.body)
        .order_by(ledger_checkpoints.c.checkpoint_id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(body) for body in conn.execute(query).scalars()]


def record_checkpoint(engine: Engine, body: dict[str, Any], issued_at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(ledger_checkpoints).values(issued_at=issued_at, key_id=body["key_id"], body=body)
        )
