"""Digests of read models, to compare a live projection with a clean replay."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Engine, Row, func, select

from projections.tables import (
    applied_events,
    inventory_lots,
    projection_positions,
    stock_movements,
)
from projections.writer import positions
from services.runtime.settings import Settings


def inventory_snapshot(engine: Engine, settings: Settings) -> dict[str, Any]:
    """The inventory projection's rows and positions (the stock card as a digest)."""
    with engine.connect() as conn:
        lots = sorted(tuple(r) for r in conn.execute(select(inventory_lots)))
        card = sorted(tuple(map(str, r)) for r in conn.execute(select(stock_movements)))
        applied = conn.scalar(
            select(func.count())
            .select_from(applied_events)
            .where(applied_events.c.projection == "inventory")
        )
        stored = positions(conn, "inventory")
    return {
        "lots": lots,
        "card": (len(card), hashlib.sha256(repr(card).encode()).hexdigest()),
        "applied": applied or 0,
        "positions": {p: o for (t, p), o in stored.items() if t == settings.topic("stock")},
    }


def every_row(engine: Engine) -> dict[str, list[Row[Any]]]:
    """Every row of every projection's tables, with the event ids applied and the positions."""
    from projections.registry import PROJECTIONS

    tables = {t for p in PROJECTIONS.values() for t in p.tables} | {
        applied_events,
        projection_positions,
    }
    with engine.connect() as conn:
        return {
            t.name: list(conn.execute(select(t).order_by(*t.primary_key)))
            for t in sorted(tables, key=lambda t: t.name)
        }
