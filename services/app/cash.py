"""Cash donations and the purchases that spend them on goods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from events.relief import CashDonationReceived
from projections import pledges_queries, relief_queries
from projections.paging import EVERYTHING, Page, Paging
from services.app.errors import Forbidden, NotFound
from services.app.permissions import Scope, User, authorize
from services.app.pledges import fulfilled_by
from services.app.ports import Ports
from services.app.reading import in_thread, known, known_pair, remember_write, seen
from services.app.sending import TAKEN, Outcome, decide, register
from services.domain.policies import purchases
from services.domain.positions import Position
from services.domain.reference.donations import RecordCashDonation, RecordPurchase

Row = dict[str, Any]


@dataclass(frozen=True)
class Purchase:
    """Goods bought from `supplier` with cash donation `donation_id`, received at a location."""

    id: str
    donation_id: str
    supplier: str
    location_id: str
    item_id: str
    quantity: int
    amount: int
    currency: str
    lot: str | None = None
    expires_on: date | None = None


async def receive_cash(
    ports: Ports, user: User, now: datetime, gift: CashDonationReceived
) -> Outcome:
    """Record money a donor gave (the same again is a repeat)."""
    authorize(user, "relief.write")
    await known(ports, relief_queries.donor, gift.donor_id, "donor_id", "donor")
    if gift.pledge_id is not None:
        await fulfilled_by(ports, gift.pledge_id, gift.donor_id, None, gift.currency)
    return await register(ports, RecordCashDonation(donation=gift), gift.donation_id, user, now)


async def cash_donation(ports: Ports, user: User, donation_id: str) -> Row:
    """A cash donation with what is spent and remains, and its purchases."""
    scope = authorize(user, "donations.read")
    found = await seen(ports, "donations", pledges_queries.cash_donation, donation_id)
    if found is None:
        raise NotFound(f"no cash donation {donation_id!r}", error="unknown_donation")
    if scope is Scope.DONOR and found["donor_id"] not in user.donors:
        raise Forbidden("this donation belongs to another donor", permission="donations.read")
    bought = await in_thread(pledges_queries.purchases_of, ports.engine, donation_id)
    return found | {"purchases": bought}


async def list_cash_donations(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """Cash donations, the latest first (a donor sees only its own)."""
    scope = authorize(user, "donations.read")
    donor_ids = sorted(user.donors) if scope is Scope.DONOR else None
    return await in_thread(pledges_queries.cash_donations_of, ports.engine, donor_ids, paging)


async def record_purchase(ports: Ports, user: User, now: datetime, body: Purchase) -> Outcome:
    """Spend a cash donation on goods (409 `insufficient_funds` beyond what remains); the
    receipt policy then receives them as a lot carrying the donation, and the first answer
    waits for that receipt (503 if it takes too long: asking again answers at once)."""
    authorize(user, "donations.write", location_id=body.location_id)
    await known_pair(ports, body.location_id, body.item_id)
    await known(ports, pledges_queries.cash_donation, body.donation_id, "donation_id",
                "cash donation", "donations")  # fmt: skip
    command = RecordPurchase(
        purchase_id=body.id,
        donation_id=body.donation_id,
        supplier=body.supplier,
        location_id=body.location_id,
        item_id=body.item_id,
        quantity=body.quantity,
        amount=body.amount,
        currency=body.currency,
        lot=body.lot or body.id,
        expires_on=body.expires_on,
    )
    receipt = purchases.receipt_id(body.id)
    with ports.bus.watch(lambda command_id: command_id == receipt) as receipts:
        first = await decide(ports, command, body.id, user, now, reused_id=TAKEN)
        stocked = None
        if first.events and not first.replayed:
            stocked = await receipts.next(ports.settings.decision_timeout_seconds)
    if stocked is None:
        return Outcome(body.id, list(first.events), first.position, repeated=True)
    if stocked.position:
        remember_write(ports, Position.parse(stocked.position))
    return Outcome(body.id, [*first.events, *stocked.events], stocked.position)
