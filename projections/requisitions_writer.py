"""Requisitions and their lines, with the status their writer gives them.

A requisition's events all lie on its own partition, in order, so each is applied as it
comes; the statuses follow the writer's (`services.domain.requisitions.state`): a receipt
recorded before its dispatch leaves the requisition received, never back to dispatched.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, update

from events.requisitions import (
    RequisitionApproved,
    RequisitionClosed,
    RequisitionDispatchRecorded,
    RequisitionDispatchRefused,
    RequisitionRaised,
    RequisitionReceiptRecorded,
    RequisitionRejected,
)
from projections.projection import Batch
from projections.sql import upsert
from projections.tables import requisition_lines, requisitions


class RequisitionsProjection:
    name: str = "requisitions"
    streams: tuple[str, ...] = ("requisitions",)
    tables: tuple[Table, ...] = (requisitions, requisition_lines)
    keyed_by_event: bool = False
    write_only: bool = False
    reads_views: bool = False

    def apply(self, conn: Connection, batch: Batch, replay: bool = False) -> None:
        for applied in batch:
            _apply(conn, applied.event, applied.occurred_at, applied.envelope.actor.user_id)


def _apply(conn: Connection, event: object, when: datetime, actor: str) -> None:
    if isinstance(event, RequisitionRaised):
        _raised(conn, event, when, actor)
    elif isinstance(event, RequisitionApproved):
        convoy = event.transfer_id if event.operation_id else None
        _set(conn, event.requisition_id, status="approved", transfer_id=event.transfer_id,
             operation_id=event.operation_id, deployment_id=convoy, refusal=None,
             decided_at=when)  # fmt: skip
        _lines(conn, event.requisition_id, approved=0, dispatched=0, received=0)
        _quantities(conn, event.requisition_id, "approved", _by_item(event.lines))
    elif isinstance(event, RequisitionRejected):
        _set(conn, event.requisition_id, status="rejected", reason=event.reason, decided_at=when)
    elif isinstance(event, RequisitionDispatchRecorded):
        _set(conn, event.requisition_id, ("approved", "dispatch_refused"), status="dispatched")
        _quantities(conn, event.requisition_id, "dispatched", _by_item(event.lines))
    elif isinstance(event, RequisitionDispatchRefused):
        refusal = event.model_dump(exclude={"requisition_id", "transfer_id"})
        _set(conn, event.requisition_id, ("approved",), status="dispatch_refused")
        _set(conn, event.requisition_id, refusal=refusal)
    elif isinstance(event, RequisitionReceiptRecorded):
        _set(conn, event.requisition_id, ("approved", "dispatched"), status="received")
        _quantities(conn, event.requisition_id, "received", _by_item(event.lines))
    elif isinstance(event, RequisitionClosed):
        _set(conn, event.requisition_id, status="closed", closed_at=when)
        if event.short:
            _set(conn, event.requisition_id, reason=event.reason)


def _raised(conn: Connection, event: RequisitionRaised, when: datetime, actor: str) -> None:
    row = event.model_dump(exclude={"lines"}) | {
        "status": "raised",
        "raised_at": when,
        "raised_by": actor,
    }
    upsert(conn, requisitions, [row], ["requisition_id"])
    lines = [
        {"requisition_id": event.requisition_id, "item_id": ln.item_id, "requested": ln.quantity,
         "approved": 0, "dispatched": 0, "received": 0}
        for ln in event.lines
    ]  # fmt: skip
    upsert(conn, requisition_lines, lines, ["requisition_id", "item_id"])


def _set(
    conn: Connection, requisition_id: str, when_status: Iterable[str] = (), **values: Any
) -> None:
    """Update the requisition's row (only while in one of `when_status`, if any is given)."""
    stmt = update(requisitions).where(requisitions.c.requisition_id == requisition_id)
    statuses = list(when_status)
    if statuses:
        stmt = stmt.where(requisitions.c.status.in_(statuses))
    conn.execute(stmt.values(**values))


def _lines(conn: Connection, requisition_id: str, **values: int) -> None:
    lines = requisition_lines
    conn.execute(update(lines).where(lines.c.requisition_id == requisition_id).values(**values))


def _quantities(
    conn: Connection, requisition_id: str, column: str, by_item: dict[str, int]
) -> None:
    lines = requisition_lines
    for item_id, quantity in by_item.items():
        conn.execute(
            update(lines)
            .where(lines.c.requisition_id == requisition_id, lines.c.item_id == item_id)
            .values({column: quantity})
        )


def _by_item(lines: Iterable[Any]) -> dict[str, int]:
    return {line.item_id: line.quantity for line in lines}
