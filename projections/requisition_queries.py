"""Requisitions as the requesting location, the supplier and the coordinator read them."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Engine, select

from projections.paging import EVERYTHING, Page, Paging, Sort, read_page
from projections.queries import fetch_all
from projections.tables import requisition_lines, requisitions


def requisition_list(
    engine: Engine,
    *,
    location_ids: Collection[str] | None = None,
    status: str | None = None,
    paging: Paging = EVERYTHING,
) -> Page:
    """Requisitions with their lines, the latest raised first; `location_ids` keeps those
    raised by or asked of one of them."""
    r = requisitions
    stmt = select(r)
    if status:
        stmt = stmt.where(r.c.status == status)
    if location_ids is not None:
        ids = list(location_ids)
        stmt = stmt.where(r.c.requesting_location_id.in_(ids) | r.c.supplying_location_id.in_(ids))
    latest_first = [
        Sort(r.c.raised_at, "raised_at", descending=True),
        Sort(r.c.requisition_id, "requisition_id", descending=True),
    ]
    page = read_page(engine, stmt, latest_first, paging)
    lines = _lines(engine, [row["requisition_id"] for row in page.items])
    for row in page.items:
        row["lines"] = lines.get(row["requisition_id"], [])
    return page


def requisition(engine: Engine, requisition_id: str) -> dict[str, Any] | None:
    """One requisition with its lines, or None."""
    rows = fetch_all(
        engine, select(requisitions).where(requisitions.c.requisition_id == requisition_id)
    )
    if not rows:
        return None
    rows[0]["lines"] = _lines(engine, [requisition_id]).get(requisition_id, [])
    return rows[0]


def _lines(engine: Engine, requisition_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    if not requisition_ids:
        return {}
    lines: dict[str, list[dict[str, Any]]] = {}
    found = fetch_all(
        engine,
        select(requisition_lines)
        .where(requisition_lines.c.requisition_id.in_(requisition_ids))
        .order_by(requisition_lines.c.requisition_id, requisition_lines.c.item_id),
    )
    for line in found:
        rid = line.pop("requisition_id")
        lines.setdefault(rid, []).append(line)
    return lines
