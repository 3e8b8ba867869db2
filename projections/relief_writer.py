"""Deployments (the operation's board) and donations, as they happen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, update

from events.relief import (
    DeploymentCancelled,
    DeploymentClosed,
    DeploymentDelivered,
    DeploymentDeliveryAborted,
    DeploymentDeliveryStarted,
    DeploymentDispatchAborted,
    DeploymentDispatched,
    DeploymentDispatchStarted,
    DeploymentPlanned,
    DonationReceived,
)
from projections.projection import Batch
from projections.sql import upsert
from projections.tables import deployments, donations
from projections.writer_types import utc


class ReliefProjection:
    name: str = "relief"
    streams: tuple[str, ...] = ("deployments", "donations")
    tables: tuple[Table, ...] = (deployments, donations)
    keyed_by_event: bool = False
    write_only: bool = False
    reads_views: bool = False

    def apply(self, conn: Connection, batch: Batch, replay: bool = False) -> None:
        """New donations and deployments as one insert each, then progress in order."""
        received, planned, progress = [], [], []
        for applied in batch:
            event, when = applied.event, applied.occurred_at
            if isinstance(event, DonationReceived):
                received.append(
                    event.model_dump(exclude={"lot", "expires_on"}) | {"received_at": when}
                )
            elif isinstance(event, DeploymentPlanned):
                row = event.model_dump(exclude={"lines"}) | {
                    "status": "planned",
                    "planned": _lines(event.lines),
                    "planned_at": when,
                }
                planned.append(row)
            else:
                progress.append((event, when))
        upsert(conn, donations, received, ["donation_id"])
        upsert(conn, deployments, planned, ["deployment_id"])
        for event, when in progress:
            _progress(conn, event, when)


def _lines(lines: list[Any]) -> list[dict[str, Any]]:
    return [line.model_dump() for line in lines]


def _progress(conn: Connection, event: object, when: object) -> None:
    values: dict[str, Any]
    if isinstance(event, DeploymentDispatched):
        values = {
            "status": "dispatched",
            "dispatched": _lines(event.dispatched),
            "dispatched_at": utc(event.dispatched_at),
        }
    elif isinstance(event, DeploymentDelivered):
        values = {
            "status": "delivered",
            "delivered": _lines(event.delivered),
            "delivered_at": utc(event.delivered_at),
        }
    elif isinstance(event, DeploymentDispatchStarted):
        values = {"status": "dispatching"}
    elif isinstance(event, DeploymentDispatchAborted):
        values = {"status": "planned"}
    elif isinstance(event, DeploymentDeliveryStarted):
        values = {"status": "delivering"}
    elif isinstance(event, DeploymentDeliveryAborted):
        values = {"status": "dispatched"}
    elif isinstance(event, DeploymentCancelled):
        values = {"status": "cancelled", "cancelled_at": when}
    elif isinstance(event, DeploymentClosed):
        values = {"status": "closed", "closed_at": when}
    else:
        return
    conn.execute(
        update(deployments)
        .where(deployments.c.deployment_id == event.deployment_id)
        .values(**values)
    )
