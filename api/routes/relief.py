"""Operations, donors and donations, and where each donation went."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse

from api import answers, requests
from api.deps import CurrentUser, IdempotencyKey, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.relief import (
    DonationCreate,
    DonationList,
    DonationPublic,
    DonationRead,
    DonorCreate,
    DonorPublic,
    DonorTrace,
    DonorTraceWithProof,
    ListOf,
    OperationClosing,
    OperationCreate,
    OperationPublic,
)
from api.schemas.stock import Decision
from services.app import proofs, relief
from services.domain.reference.decider import CloseOperation

router = Router(prefix="/v1", tags=["relief"])


@router.post("/operations", status_code=201, response_model=OperationPublic)
async def open_operation(
    body: OperationCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> OperationPublic:
    """Open a disaster response (earthquake, flood, cold wave…) over some regions."""
    outcome = await relief.open_operation(services, user, now, requests.operation(body))
    answers.repeated(outcome, response)
    return OperationPublic(id=body.id, position=outcome.position, **body.model_dump(exclude={"id"}))


@router.get("/operations", response_model=ListOf)
async def list_operations(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, page: PageOf
) -> ListOf:
    """All operations, each `open` or `closed` (with `closed_on`)."""
    found = await relief.list_operations(services, user, page)
    return ListOf(items=found.items, next=found.next)


@router.post("/operations/{operation_id}/close", status_code=201, response_model=Decision)
async def close_operation(
    operation_id: str,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    body: OperationClosing | None = None,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Close an operation today: no convoy is planned for it afterwards (409
    `operation_closed`); the convoys planned before go on to their end."""
    command = CloseOperation(operation_id=operation_id, reason=body.reason if body else None)
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await relief.close_operation(services, user, now, command, command_id)
    return answers.decision(outcome, response)


@router.post("/donors", status_code=201, response_model=DonorPublic)
async def register_donor(
    body: DonorCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> DonorPublic:
    """Register a donor."""
    outcome = await relief.register_donor(services, user, now, requests.donor(body))
    answers.repeated(outcome, response)
    return DonorPublic(id=body.id, name=body.name, position=outcome.position)


@router.get("/donors", response_model=ListOf)
async def list_donors(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, page: PageOf
) -> ListOf:
    """All donors (a donor sees only itself)."""
    found = await relief.list_donors(services, user, page)
    return ListOf(items=found.items, next=found.next)


@router.post("/donations", status_code=201, response_model=DonationPublic)
async def receive_donation(
    body: DonationCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> DonationPublic:
    """Record a donation received: a stock receipt whose lot carries the donation id."""
    outcome = await relief.receive_donation(services, user, now, requests.donation(body))
    answers.repeated(outcome, response)
    return DonationPublic(
        id=body.id,
        position=outcome.position,
        **body.model_dump(include={"donor_id", "location_id", "item_id", "quantity"}),
    )


@router.get("/donations", response_model=DonationList)
async def list_donations(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, page: PageOf
) -> DonationList:
    """Donations received, the latest first (a donor sees only its own)."""
    found = await relief.list_donations(services, user, page)
    return DonationList(items=[DonationRead(**row) for row in found.items], next=found.next)


@router.get(
    "/donations/{donation_id}/trace",
    response_model=DonorTrace,
    responses={200: {"model": DonorTrace | DonorTraceWithProof}},  # the proof with ?proof=1
)
async def trace_donation(
    donation_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter, proof: bool = False
) -> Any:
    """Where a donation is: in stock (by location), in transit, distributed, lost. With
    `proof=1`, also `proof`: the events the trace is computed from and the signed checkpoint
    they reach, for `events/verify_proof.py` (409 while no checkpoint covers them yet)."""
    if not proof:
        return answers.trace(await relief.trace_donation(services, user, donation_id))
    found = await proofs.donation_proof(services, user, donation_id)
    return JSONResponse(answers.trace_with_proof(found))
