"""Convoys of an operation: plan, dispatch (stock leaves the warehouse), deliver, or cancel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from events.relief import DeploymentPlanned, PlannedLine
from projections import queries, relief_queries
from services.app.errors import Conflict, NotFound
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, known, wait_for_own_writes
from services.app.sending import Outcome, decide
from services.app.stock import arrival, dispatched_transfer
from services.commands import Reply
from services.deployments.decider import (
    AbortDispatch,
    CancelDeployment,
    MarkDelivered,
    MarkDispatched,
    PlanDeployment,
    StartDispatch,
)
from services.stock.commands import DispatchTransfer, RequestedLine


def on_the_board(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A deployment with its time in transit, and whether it is overdue."""
    left, arrived = row["dispatched_at"], row["delivered_at"]
    hours = None
    if left is not None:
        end = arrived or now.astimezone(UTC).replace(tzinfo=None)
        hours = round((end - left).total_seconds() / 3600, 2)
    overdue = row["status"] == "dispatched" and hours is not None and hours > row["expected_hours"]
    return row | {"hours_in_transit": hours, "overdue": overdue}


async def current(ports: Ports, deployment_id: str) -> dict[str, Any]:
    """The deployment as projected (after this process's own writes), or NotFound."""
    row = await in_thread(relief_queries.deployment, ports.engine, deployment_id)
    await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "deployments")
    row = await in_thread(relief_queries.deployment, ports.engine, deployment_id)
    if row is None:
        raise NotFound(f"no deployment {deployment_id!r}", error="unknown_deployment")
    return row


def _outcome(deployment_id: str, *replies: Reply) -> Outcome:
    events = [e for r in replies for e in r.events]
    return Outcome(deployment_id, events, replies[-1].position)


async def plan_deployment(
    ports: Ports, user: User, now: datetime, plan: DeploymentPlanned
) -> Outcome:
    """Plan a convoy from a warehouse to a site of the operation."""
    authorize(user, "relief.write")
    await known(ports, relief_queries.operation, plan.operation_id, "operation_id", "operation")
    await known(ports, queries.location, plan.from_location_id, "from_location_id", "location")
    await known(ports, queries.location, plan.to_location_id, "to_location_id", "location")
    for line in plan.lines:
        await known(ports, queries.item, line.item_id, "lines.item_id", "item")
    reply = await decide(
        ports,
        PlanDeployment(plan=plan),
        plan.deployment_id,
        user,
        now,
        reused_id=("already_exists", "this deployment id is taken"),
    )
    return Outcome.registered(plan.deployment_id, reply)


async def _step(ports: Ports, command: Any, user: User, now: datetime) -> Reply:
    return await decide(ports, command, f"{command.deployment_id}:{uuid.uuid4()}", user, now)


async def dispatch_deployment(
    ports: Ports, user: User, now: datetime, deployment_id: str
) -> Outcome:
    """Take the planned stock out of the warehouse (409 if short) and mark the convoy left.

    The deployment's own writer is asked first (no dispatch once cancelled), then the
    warehouse's (no stock it does not hold); a refusal puts the convoy back to planned."""
    authorize(user, "relief.write")
    row = await current(ports, deployment_id)
    started = await _step(ports, StartDispatch(deployment_id=deployment_id), user, now)
    lines = [RequestedLine(**line) for line in row["planned"]]
    take = DispatchTransfer(
        transfer_id=deployment_id,
        from_location_id=row["from_location_id"],
        to_location_id=row["to_location_id"],
        lines=lines,
        deployment_id=deployment_id,
    )
    try:
        stock = await decide(ports, take, f"{deployment_id}:{uuid.uuid4()}", user, now)
    except Conflict as refusal:
        if refusal.error != "already_dispatched":  # already taken by an attempt that crashed
            await _step(
                ports,
                AbortDispatch(deployment_id=deployment_id, reason=refusal.message),
                user,
                now,
            )
            raise
        stock = Reply(command_id=deployment_id, status="accepted", replayed=True)
    left = await _step(
        ports,
        MarkDispatched(
            deployment_id=deployment_id,
            at=now,
            lines=[PlannedLine(**line) for line in row["planned"]],
        ),
        user,
        now,
    )
    return _outcome(deployment_id, started, stock, left)


async def deliver_deployment(
    ports: Ports, user: User, now: datetime, deployment_id: str, arrived: list[tuple[str, int]]
) -> Outcome:
    """Record what arrived (item, quantity): stock enters the site, shortfalls become
    discrepancies."""
    authorize(user, "relief.write")
    row = await current(ports, deployment_id)
    if row["status"] in ("planned", "cancelled"):  # nothing left the warehouse: nothing to receive
        status = row["status"]
        raise Conflict(
            f"the deployment is {status}; delivering needs it dispatched",
            error=f"deployment_{status}",
            status=status,
        )
    transfer = await dispatched_transfer(ports, deployment_id)
    stock = await decide(ports, arrival(transfer, arrived), deployment_id, user, now)
    done = await _step(
        ports,
        MarkDelivered(
            deployment_id=deployment_id,
            at=now,
            lines=[PlannedLine(item_id=i, quantity=q) for i, q in arrived if q > 0],
        ),
        user,
        now,
    )
    return _outcome(deployment_id, stock, done)


async def deliver_as_dispatched(
    ports: Ports, user: User, now: datetime, deployment_id: str
) -> Outcome:
    """Record that everything dispatched (or else planned) arrived."""
    row = await current(ports, deployment_id)
    sent = row["dispatched"] or row["planned"]
    arrived = [(line["item_id"], line["quantity"]) for line in sent]
    return await deliver_deployment(ports, user, now, deployment_id, arrived)


async def cancel_deployment(
    ports: Ports, user: User, now: datetime, deployment_id: str, reason: str | None = None
) -> Outcome:
    """Cancel a convoy that has not left yet."""
    authorize(user, "relief.write")
    await current(ports, deployment_id)
    reply = await _step(
        ports, CancelDeployment(deployment_id=deployment_id, reason=reason), user, now
    )
    return _outcome(deployment_id, reply)


async def deployment_board(
    ports: Ports, user: User, now: datetime, operation_id: str | None = None
) -> list[dict[str, Any]]:
    """The board: status, timeline, quantities planned/dispatched/delivered, time in transit."""
    authorize(user, "relief.read")
    rows = await in_thread(relief_queries.deployment_board, ports.engine, operation_id)
    return [on_the_board(r, now) for r in rows]
