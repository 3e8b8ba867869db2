"""Donors' pledges, cash donations and the purchases that spend them."""

from __future__ import annotations

import uuid

from fastapi import Query, Response

from api import answers, pledge_requests
from api.deps import CurrentUser, IdempotencyKey, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.pledges import (
    CashDonationCreate,
    CashDonationPublic,
    CashDonationRead,
    PledgeCancelling,
    PledgeCreate,
    PledgeList,
    PledgePublic,
    PledgeWritten,
    PurchaseCreate,
    PurchasePublic,
)
from api.schemas.stock import Decision
from services.app import cash, pledges
from services.domain.pledges.commands import CancelPledge

router = Router(prefix="/v1", tags=["pledges"])


@router.post("/pledges", status_code=201, response_model=PledgeWritten)
async def make_pledge(
    body: PledgeCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> PledgeWritten:
    """Record a donor's pledge of goods (item, quantity) or money (amount, currency)."""
    made = pledge_requests.pledge(body)
    outcome = await pledges.make_pledge(services, user, now, made)
    answers.repeated(outcome, response)
    return PledgeWritten(
        id=made.pledge_id, position=outcome.position, pledged=made.pledged,
        kind="goods" if made.item_id else "money",
        **made.model_dump(include={"donor_id", "item_id", "currency", "due_on"}),
    )  # fmt: skip


@router.get("/pledges", response_model=PledgeList)
async def list_pledges(
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    _: ReadAfter,
    page: PageOf,
    donor_id: str | None = None,
    overdue: bool = Query(
        default=False, description="Only those due before today with something outstanding."
    ),
) -> PledgeList:
    """Pledges with pledged, received, outstanding and over, the soonest due first (a donor
    sees only its own)."""
    overdue_on = now.date() if overdue else None
    found = await pledges.list_pledges(services, user, donor_id, overdue_on, page)
    items = [PledgePublic(**answers.pledge_row(r)) for r in found.items]
    return PledgeList(items=items, next=found.next)


@router.get("/pledges/{pledge_id}", response_model=PledgePublic)
async def read_pledge(
    pledge_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> PledgePublic:
    """One pledge with what has arrived of it."""
    return PledgePublic(**answers.pledge_row(await pledges.pledge(services, user, pledge_id)))


@router.post("/pledges/{pledge_id}/cancel", status_code=201, response_model=Decision)
async def cancel_pledge(
    pledge_id: str,
    body: PledgeCancelling,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Withdraw what is outstanding of a pledge; what arrived stays received."""
    command = CancelPledge(pledge_id=pledge_id, reason=body.reason)
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await pledges.cancel_pledge(services, user, now, command, command_id)
    return answers.decision(outcome, response)


@router.post("/cash-donations", status_code=201, response_model=CashDonationPublic)
async def receive_cash(
    body: CashDonationCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
) -> CashDonationPublic:
    """Record money a donor gave, optionally towards a pledge of money."""
    gift = pledge_requests.cash(body)
    outcome = await cash.receive_cash(services, user, now, gift)
    answers.repeated(outcome, response)
    return CashDonationPublic(id=body.id, position=outcome.position,
                              **gift.model_dump(exclude={"donation_id"}))  # fmt: skip


@router.get("/cash-donations/{donation_id}", response_model=CashDonationRead)
async def read_cash_donation(
    donation_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> CashDonationRead:
    """A cash donation with what is spent, what remains and the purchases (a donor: its own)."""
    found = await cash.cash_donation(services, user, donation_id)
    return CashDonationRead(id=found.pop("donation_id"), **found)


@router.post("/purchases", status_code=201, response_model=PurchasePublic)
async def record_purchase(
    body: PurchaseCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> PurchasePublic:
    """Spend a cash donation on goods received at a location; their lot carries the
    donation, so its trace follows the money into goods (409 `insufficient_funds`)."""
    bought = pledge_requests.purchase(body)
    outcome = await cash.record_purchase(services, user, now, bought)
    answers.repeated(outcome, response)
    return PurchasePublic(
        position=outcome.position,
        **{k: getattr(bought, k) for k in PurchasePublic.model_fields if k != "position"},
    )
