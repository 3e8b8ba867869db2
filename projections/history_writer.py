"""The auditor's history: one row per event and subject it is about."""

from __future__ import annotations

from sqlalchemy import Table

from projections.history import facts, subjects
from projections.projection import Batch
from projections.sql import Target, insert_ignoring_duplicates, insert_new
from projections.tables import history


class HistoryProjection:
    name: str = "history"
    streams: tuple[str, ...] = (
        "reference", "stock", "households", "distributions", "deployments", "donations", "users",
        "requisitions",
        "slots", "pledges",
    )  # fmt: skip
    tables: tuple[Table, ...] = (history,)
    keyed_by_event: bool = True
    write_only: bool = True
    reads_views: bool = True

    def apply(self, conn: Target, batch: Batch, replay: bool = False) -> None:
        rows = []
        for applied in batch:
            about = subjects(applied.event)
            if not about:
                continue
            envelope = applied.envelope
            said = facts(applied.event)
            rows += [
                {
                    "subject_kind": kind,
                    "subject_id": subject_id,
                    "event_id": envelope.event_id,
                    "type": envelope.type,
                    "occurred_at": applied.occurred_at,
                    "actor": envelope.actor.user_id,
                    "role": envelope.actor.role,
                    "correlation_id": envelope.correlation_id,
                    "causation_id": envelope.causation_id,
                    "facts": said,
                }
                for kind, subject_id in about
            ]
        if replay:  # each event once, into empty tables: its rows are new
            insert_new(conn, history, rows)
        else:
            insert_ignoring_duplicates(
                conn, history, rows, ["subject_kind", "subject_id", "event_id"]
            )
