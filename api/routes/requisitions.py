"""Requisitions: a site or a warehouse asks a warehouse for stock; a coordinator approves
(perhaps fewer units), rejects or closes short. The transfer follows by itself."""

from __future__ import annotations

import uuid

from fastapi import Response

from api import answers
from api.deps import CurrentUser, IdempotencyKey, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.requisitions import (
    Approval,
    Closure,
    Rejection,
    RequisitionCreate,
    RequisitionList,
    RequisitionPublic,
)
from api.schemas.stock import Decision
from events.requisitions import RequisitionLine
from services.app import requisitions
from services.domain.requisitions.commands import RaiseRequisition

router = Router(prefix="/v1/requisitions", tags=["requisitions"])


@router.post("", status_code=201, response_model=Decision)
async def raise_requisition(
    body: RequisitionCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Ask a warehouse for lines of stock, needed by a date, for a location of yours."""
    command = RaiseRequisition(
        requisition_id=body.id or idempotency_key or str(uuid.uuid4()),
        requesting_location_id=body.requesting_location_id,
        supplying_location_id=body.supplying_location_id,
        lines=[RequisitionLine(**ln.model_dump()) for ln in body.lines],
        needed_by=body.needed_by,
    )
    outcome = await requisitions.raise_requisition(services, user, now, command)
    return answers.decision(outcome, response)


@router.post("/{requisition_id}/approval", response_model=Decision)
async def approve_requisition(
    requisition_id: str,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    body: Approval | None = None,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Approve as asked, or fewer units of some lines (422 `more_than_requested` for more);
    the supplying warehouse then dispatches the approved lines as one transfer, or, with
    `operation_id` (an open operation), a convoy of it is planned to carry them."""
    lines = [(ln.item_id, ln.quantity) for ln in body.lines] if body else []
    operation_id = body.operation_id if body else None
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await requisitions.approve(
        services, user, now, requisition_id, lines, command_id, operation_id
    )
    return answers.decision(outcome)


@router.post("/{requisition_id}/rejection", response_model=Decision)
async def reject_requisition(
    requisition_id: str,
    body: Rejection,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Refuse a requisition not approved yet, saying why."""
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await requisitions.reject(
        services, user, now, requisition_id, body.reason, command_id
    )
    return answers.decision(outcome)


@router.post("/{requisition_id}/closure", response_model=Decision)
async def close_requisition(
    requisition_id: str,
    body: Closure,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Close short an approved requisition: what was not received will not come."""
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await requisitions.close(services, user, now, requisition_id, body.reason, command_id)
    return answers.decision(outcome)


@router.get("", response_model=RequisitionList)
async def list_requisitions(
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    page: PageOf,
    status: str | None = None,
) -> RequisitionList:
    """Requisitions raised by or asked of your locations, the latest raised first."""
    found = await requisitions.requisitions(services, user, status, page)
    return RequisitionList(
        items=[answers.requisition_public(r) for r in found.items], next=found.next
    )


@router.get("/{requisition_id}", response_model=RequisitionPublic)
async def get_requisition(
    requisition_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> RequisitionPublic:
    """One requisition: per line requested, approved, dispatched and received."""
    return answers.requisition_public(
        await requisitions.requisition(services, user, requisition_id)
    )
