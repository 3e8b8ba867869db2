"""Convoys of an operation: plan, dispatch (stock leaves the warehouse), deliver, close, or
cancel."""

from __future__ import annotations

from fastapi import Response

from api import answers, requests
from api.deps import CurrentUser, IdempotencyKey, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.relief import Cancellation, Closing, Delivery, DeploymentCreate, DeploymentList
from api.schemas.stock import Decision
from services.app import deployments

router = Router(prefix="/v1/deployments", tags=["deployments"])


@router.post("", status_code=201, response_model=Decision)
async def plan_deployment(
    body: DeploymentCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> Decision:
    """Plan a convoy of one or more lines from a warehouse to a site of the operation (409
    `operation_closed` once the operation closed)."""
    plan = requests.deployment(body)
    return answers.decision(await deployments.plan_deployment(services, user, now, plan), response)


@router.post("/{deployment_id}/dispatch", response_model=Decision)
async def dispatch_deployment(
    deployment_id: str,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Take the planned stock out of the warehouse (409 if short) and mark the convoy left.

    The deployment's own writer is asked first (no dispatch once cancelled), then the
    warehouse's (no stock it does not hold); a refusal puts the convoy back to planned. The
    same request under the same `Idempotency-Key` answers the same, however it ended."""
    outcome = await deployments.dispatch_deployment(
        services, user, now, deployment_id, idempotency_key
    )
    return answers.decision(outcome)


@router.post("/{deployment_id}/deliver", response_model=Decision)
async def deliver_deployment(
    deployment_id: str,
    body: Delivery,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Record what arrived: stock enters the site, shortfalls become discrepancies. The
    same request under the same `Idempotency-Key` answers the same, however it ended."""
    arrived = [(line.item_id, line.quantity) for line in body.lines]
    outcome = await deployments.deliver_deployment(
        services, user, now, deployment_id, arrived, idempotency_key
    )
    return answers.decision(outcome)


@router.post("/{deployment_id}/cancel", response_model=Decision)
async def cancel_deployment(
    deployment_id: str,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    body: Cancellation | None = None,
) -> Decision:
    """Cancel a convoy that has not left yet (409 `deployment_<status>` otherwise; the same
    request under the same `Idempotency-Key` answers the same, 200)."""
    reason = body.reason if body else None
    outcome = await deployments.cancel_deployment(
        services, user, now, deployment_id, reason, idempotency_key
    )
    return answers.decision(outcome, response)


@router.post("/{deployment_id}/close", response_model=Decision)
async def close_deployment(
    deployment_id: str,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    body: Closing | None = None,
) -> Decision:
    """Close a delivered convoy (409 `deployment_<status>` otherwise): it takes no further
    step. The same request under the same `Idempotency-Key` answers the same, 200."""
    reason = body.reason if body else None
    outcome = await deployments.close_deployment(
        services, user, now, deployment_id, reason, idempotency_key
    )
    return answers.decision(outcome, response)


@router.get("", response_model=DeploymentList)
async def deployment_board(
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    _: ReadAfter,
    page: PageOf,
    operation_id: str | None = None,
) -> DeploymentList:
    """The board: status, timeline, quantities planned/dispatched/delivered, time in transit."""
    found = await deployments.deployment_board(services, user, now, operation_id, page)
    shown = [answers.deployment_public(r) for r in found.items]
    return DeploymentList(items=shown, next=found.next)
