"""Operations, donors and donations, and where each donation went."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import authorize
from api.decide import TAKEN, decide, register
from api.deps import CurrentUser, Now, ServicesDep
from api.errors import Forbidden, NotFound
from api.reads import ReadAfter
from api.routes.stock import known, known_pair
from api.schemas.relief import (
    DonationCreate,
    DonationPublic,
    DonorCreate,
    DonorPublic,
    DonorTrace,
    ListOf,
    OperationCreate,
    OperationPublic,
)
from events.relief import DonationReceived, DonorRegistered, OperationOpened
from projections import relief_queries
from services import donation_policy
from services.publisher import Position
from services.reference.decider import OpenOperation, RecordDonation, RegisterDonor

router = APIRouter(prefix="/v1", tags=["relief"])


@router.post("/operations", status_code=201, response_model=OperationPublic)
async def open_operation(
    body: OperationCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> OperationPublic:
    """Open a disaster response (earthquake, flood, cold wave…) over some regions."""
    authorize(user, "relief.write")
    event = OperationOpened(operation_id=body.id, **body.model_dump(exclude={"id"}))
    reply = await register(services, OpenOperation(operation=event), body.id, user, now, response)
    return OperationPublic(id=body.id, position=reply.position, **body.model_dump(exclude={"id"}))


@router.get("/operations", response_model=ListOf)
async def list_operations(services: ServicesDep, user: CurrentUser, _: ReadAfter) -> ListOf:
    """All operations."""
    authorize(user, "reference.read")
    return ListOf(items=await run_in_threadpool(relief_queries.all_operations, services.engine))


@router.post("/donors", status_code=201, response_model=DonorPublic)
async def register_donor(
    body: DonorCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> DonorPublic:
    """Register a donor."""
    authorize(user, "relief.write")
    event = DonorRegistered(donor_id=body.id, name=body.name)
    reply = await register(services, RegisterDonor(donor=event), body.id, user, now, response)
    return DonorPublic(id=body.id, name=body.name, position=reply.position)


@router.get("/donors", response_model=ListOf)
async def list_donors(services: ServicesDep, user: CurrentUser, _: ReadAfter) -> ListOf:
    """All donors (a donor sees only itself)."""
    scope = authorize(user, "donations.read")
    rows = await run_in_threadpool(relief_queries.all_donors, services.engine)
    if scope == "donor":
        rows = [r for r in rows if r["donor_id"] in user.donors]
    return ListOf(items=rows)


@router.post("/donations", status_code=201, response_model=DonationPublic)
async def receive_donation(
    body: DonationCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> DonationPublic:
    """Record a donation received: a stock receipt whose lot carries the donation id.

    The donation's writer records it; the receipt policy then receives its stock, and the
    first answer waits for that receipt (503 if it takes too long: the stock is on its way in;
    asking again answers at once)."""
    authorize(user, "donations.write", location_id=body.location_id)
    await known(services, relief_queries.donor, body.donor_id, "donor_id", "donor")
    await known_pair(services, body.location_id, body.item_id)
    gift = DonationReceived(
        donation_id=body.id,
        lot=body.lot or body.id,
        **body.model_dump(include={"donor_id", "location_id", "item_id", "quantity", "expires_on"}),
    )
    receipt = donation_policy.receipt_id(body.id)
    with services.bus.watch(lambda command_id: command_id == receipt) as receipts:
        first = await decide(
            services, RecordDonation(donation=gift), body.id, user, now, reused_id=TAKEN
        )
        stocked = None
        if first.events and not first.replayed:
            stocked = await receipts.next(services.settings.decision_timeout_seconds)
    if stocked is None:
        response.status_code = 200
    elif stocked.position:
        services.wrote(Position.parse(stocked.position))
    return DonationPublic(
        id=body.id,
        position=(stocked or first).position,
        **gift.model_dump(include={"donor_id", "location_id", "item_id", "quantity"}),
    )


@router.get("/donations", response_model=ListOf)
async def list_donations(services: ServicesDep, user: CurrentUser, _: ReadAfter) -> ListOf:
    """Donations received (a donor sees only its own)."""
    scope = authorize(user, "donations.read")
    donor_ids = sorted(user.donors) if scope == "donor" else None
    rows = await run_in_threadpool(relief_queries.donations_of, services.engine, donor_ids)
    return ListOf(items=rows)


@router.get("/donations/{donation_id}/trace", response_model=DonorTrace)
async def trace_donation(
    donation_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> DonorTrace:
    """Where a donation is: in stock (by location), in transit, distributed, lost."""
    scope = authorize(user, "donations.read")
    gift = await run_in_threadpool(relief_queries.donation, services.engine, donation_id)
    if gift is None:
        raise NotFound(f"no donation {donation_id!r}", error="unknown_donation")
    if scope == "donor" and gift["donor_id"] not in user.donors:
        raise Forbidden("this donation belongs to another donor", permission="donations.read")
    return DonorTrace(**await run_in_threadpool(relief_queries.trace, services.engine, donation_id))
