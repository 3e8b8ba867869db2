"""The auditor's history of one subject, in the order things happened."""

from __future__ import annotations

from sqlalchemy import Engine, select

from projections.paging import Page, Paging, Sort, read_page
from projections.tables import history


def history_of(engine: Engine, kind: str, subject_id: str, paging: Paging) -> Page:
    h = history
    stmt = select(
        h.c.event_id, h.c.type, h.c.occurred_at, h.c.actor, h.c.role, h.c.correlation_id,
        h.c.causation_id, h.c.facts,
    ).where(h.c.subject_kind == kind, h.c.subject_id == subject_id)  # fmt: skip
    in_order = [Sort(h.c.occurred_at, "occurred_at"), Sort(h.c.event_id, "event_id")]
    return read_page(engine, stmt, in_order, paging)
