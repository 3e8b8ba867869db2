"""Convoys of an operation: plan, dispatch (stock leaves the warehouse), deliver, or cancel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import User, authorize
from api.consistency import wait_for_own_writes
from api.decide import decide
from api.deps import CurrentUser, Now, Services, ServicesDep
from api.errors import Conflict, NotFound
from api.reads import ReadAfter
from api.routes.stock import arrival, dispatched_transfer, known
from api.schemas.relief import (
    Cancellation,
    Delivery,
    DeploymentCreate,
    DeploymentList,
    DeploymentPublic,
)
from api.schemas.stock import Decision
from events.relief import DeploymentPlanned, PlannedLine
from projections import queries, relief_queries
from services import deployment_policy
from services.commands import Reply
from services.deployments.decider import (
    AbortDispatch,
    CancelDeployment,
    MarkDelivered,
    PlanDeployment,
    StartDispatch,
)
from services.publisher import Position

router = APIRouter(prefix="/v1/deployments", tags=["deployments"])


def board_row(row: dict[str, Any], now: datetime) -> DeploymentPublic:
    """A deployment with its time in transit, and whether it is overdue."""
    left, arrived = row["dispatched_at"], row["delivered_at"]
    hours = None
    if left is not None:
        end = arrived or now.astimezone(UTC).replace(tzinfo=None)
        hours = round((end - left).total_seconds() / 3600, 2)
    overdue = row["status"] == "dispatched" and hours is not None and hours > row["expected_hours"]
    return DeploymentPublic(
        id=row["deployment_id"],
        hours_in_transit=hours,
        overdue=overdue,
        **{k: v for k, v in row.items() if k != "deployment_id"},
    )


async def current(services: Services, deployment_id: str) -> dict[str, Any]:
    """The deployment as projected (after this client's own writes), or 404."""
    row = await run_in_threadpool(relief_queries.deployment, services.engine, deployment_id)
    await wait_for_own_writes(
        services.engine, services.settings, services.last_written, "deployments"
    )
    row = await run_in_threadpool(relief_queries.deployment, services.engine, deployment_id)
    if row is None:
        raise NotFound(f"no deployment {deployment_id!r}", error="unknown_deployment")
    return row


def _decision(deployment_id: str, *replies: Reply) -> Decision:
    events = [e for r in replies for e in r.events]
    return Decision(id=deployment_id, events=events, position=replies[-1].position)


@router.post("", status_code=201, response_model=Decision)
async def plan_deployment(
    body: DeploymentCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> Decision:
    """Plan a convoy from a warehouse to a site of the operation."""
    authorize(user, "relief.write")
    await known(services, relief_queries.operation, body.operation_id, "operation_id", "operation")
    await known(services, queries.location, body.from_location_id, "from_location_id", "location")
    await known(services, queries.location, body.to_location_id, "to_location_id", "location")
    for line in body.lines:
        await known(services, queries.item, line.item_id, "lines.item_id", "item")
    plan = DeploymentPlanned(
        deployment_id=body.id,
        lines=[PlannedLine(**ln.model_dump()) for ln in body.lines],
        **body.model_dump(exclude={"id", "lines"}),
    )
    reply = await decide(
        services,
        PlanDeployment(plan=plan),
        body.id,
        user,
        now,
        reused_id=("already_exists", "this deployment id is taken"),
    )
    if not reply.events or reply.replayed:
        response.status_code = 200
    return _decision(body.id, reply)


async def _step(services: Services, command: Any, user: User, now: datetime) -> Reply:
    return await decide(services, command, f"{command.deployment_id}:{uuid.uuid4()}", user, now)


def _refused(taken: Reply | None, aborted: Reply) -> Conflict:
    """The warehouse's refusal that put the convoy back to planned."""
    if taken is not None and taken.status != "accepted":
        error = taken.error or "dispatch_refused"
        return Conflict(taken.message or "refused", error=error, **taken.details)
    data = aborted.events[0]["data"] if aborted.events else {}
    reason = data.get("reason") or "the warehouse refused the stock"
    return Conflict(reason, error=data.get("error") or "dispatch_refused")


@router.post("/{deployment_id}/dispatch", response_model=Decision)
async def dispatch_deployment(
    deployment_id: str, services: ServicesDep, user: CurrentUser, now: Now
) -> Decision:
    """Take the planned stock out of the warehouse (409 if short) and mark the convoy left.

    The deployment's own writer is asked to start (no dispatch once cancelled); the dispatch
    policy then asks the warehouse's (no stock it does not hold) and records the outcome, a
    refusal putting the convoy back to planned. This answers with that outcome (503 if it
    takes too long: the convoy is then still on its way out, and asking again is safe)."""
    authorize(user, "relief.write")
    await current(services, deployment_id)
    with services.bus.watch(deployment_policy.steps_of(deployment_id)) as steps:
        started = await _step(services, StartDispatch(deployment_id=deployment_id), user, now)
        start_id = started.events[0]["event_id"] if started.events else None
        timeout = services.settings.decision_timeout_seconds
        taken, outcome = await deployment_policy.follow_dispatch(steps, start_id, timeout)
    for reply in (taken, outcome):
        if reply is not None and reply.position:
            services.wrote(Position.parse(reply.position))
    if outcome.status == "accepted" and outcome.command_id.startswith(AbortDispatch.TYPE):
        raise _refused(taken, outcome)
    if outcome.status != "accepted":
        raise Conflict(outcome.message or "refused", error=outcome.error or "conflict")
    return _decision(deployment_id, *(r for r in (started, taken, outcome) if r is not None))


@router.post("/{deployment_id}/deliver", response_model=Decision)
async def deliver_deployment(
    deployment_id: str, body: Delivery, services: ServicesDep, user: CurrentUser, now: Now
) -> Decision:
    """Record what arrived: stock enters the site, shortfalls become discrepancies."""
    authorize(user, "relief.write")
    row = await current(services, deployment_id)
    if row["status"] in ("planned", "cancelled"):  # nothing left the warehouse: nothing to receive
        status = row["status"]
        raise Conflict(
            f"the deployment is {status}; delivering needs it dispatched",
            error=f"deployment_{status}",
            status=status,
        )
    transfer = await dispatched_transfer(services, deployment_id)
    arrived = [(line.item_id, line.quantity) for line in body.lines]
    stock = await decide(services, arrival(transfer, arrived), deployment_id, user, now)
    done = await _step(
        services,
        MarkDelivered(
            deployment_id=deployment_id,
            at=now,
            lines=[PlannedLine(item_id=i, quantity=q) for i, q in arrived if q > 0],
        ),
        user,
        now,
    )
    return _decision(deployment_id, stock, done)


@router.post("/{deployment_id}/cancel", response_model=Decision)
async def cancel_deployment(
    deployment_id: str,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    body: Cancellation | None = None,
) -> Decision:
    """Cancel a convoy that has not left yet."""
    authorize(user, "relief.write")
    await current(services, deployment_id)
    reason = body.reason if body else None
    reply = await _step(
        services, CancelDeployment(deployment_id=deployment_id, reason=reason), user, now
    )
    return _decision(deployment_id, reply)


@router.get("", response_model=DeploymentList)
async def deployment_board(
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    _: ReadAfter,
    operation_id: str | None = None,
) -> DeploymentList:
    """The board: status, timeline, quantities planned/dispatched/delivered, time in transit."""
    authorize(user, "relief.read")
    rows = await run_in_threadpool(relief_queries.deployment_board, services.engine, operation_id)
    return DeploymentList(items=[board_row(r, now) for r in rows])
