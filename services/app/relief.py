"""Operations, donors and donations, and where each donation went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from events.relief import DonationReceived, DonorRegistered, OperationOpened
from projections import pledges_queries, relief_queries
from projections.paging import EVERYTHING, Page, Paging
from services.app.errors import Forbidden, NotFound
from services.app.permissions import User, authorize
from services.app.pledges import fulfilled_by
from services.app.ports import Ports
from services.app.reading import (
    in_thread,
    known,
    known_pair,
    remember_write,
    seen,
    wait_for_own_writes,
)
from services.app.sending import TAKEN, Outcome, decide, register
from services.domain.policies import donations
from services.domain.positions import Position
from services.domain.reference.decider import (
    CloseOperation,
    OpenOperation,
    RecordDonation,
    RegisterDonor,
)

Row = dict[str, Any]


@dataclass(frozen=True)
class Donation:
    """Goods a donor gave, received at a location (as a lot carrying the donation's id)."""

    id: str
    donor_id: str
    location_id: str
    item_id: str
    quantity: int
    lot: str | None = None
    expires_on: date | None = None
    pledge_id: str | None = None


async def open_operation(
    ports: Ports, user: User, now: datetime, operation: OperationOpened
) -> Outcome:
    """Open a disaster response (earthquake, flood, cold wave…) over some regions."""
    authorize(user, "relief.write")
    command = OpenOperation(operation=operation)
    return await register(ports, command, operation.operation_id, user, now)


async def close_operation(
    ports: Ports, user: User, now: datetime, command: CloseOperation, command_id: str
) -> Outcome:
    """Close an operation today: no convoy is planned for it afterwards (409
    `operation_closed`); those planned before go on to their end."""
    authorize(user, "relief.write")
    await operation(ports, command.operation_id)
    reply = await decide(ports, command, command_id, user, now)
    return Outcome.of(command.operation_id, reply)


async def operation(ports: Ports, operation_id: str) -> Row:
    """The operation with its status (after this process's own writes), or NotFound."""
    await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "reference")
    found = await in_thread(relief_queries.operation, ports.engine, operation_id)
    if found is None:
        raise NotFound(f"no operation {operation_id!r}", error="unknown_operation")
    return with_status(found)


def with_status(row: Row) -> Row:
    return row | {"status": "closed" if row.get("closed_on") else "open"}


async def list_operations(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """All operations, each open or closed (and when)."""
    authorize(user, "reference.read")
    page = await in_thread(relief_queries.all_operations, ports.engine, paging)
    return Page([with_status(r) for r in page.items], page.next)


async def register_donor(
    ports: Ports, user: User, now: datetime, donor: DonorRegistered
) -> Outcome:
    """Register a donor."""
    authorize(user, "relief.write")
    return await register(ports, RegisterDonor(donor=donor), donor.donor_id, user, now)


async def list_donors(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """All donors (a donor sees only itself)."""
    scope = authorize(user, "donations.read")
    donor_ids = sorted(user.donors) if scope == "donor" else None
    return await in_thread(relief_queries.all_donors, ports.engine, donor_ids, paging)


async def receive_donation(ports: Ports, user: User, now: datetime, body: Donation) -> Outcome:
    """Record a donation received: a stock receipt whose lot carries the donation id.

    The donation's writer records it; the receipt policy then receives its stock, and the
    first answer waits for that receipt (503 if it takes too long: the stock is on its way in;
    asking again answers at once)."""
    authorize(user, "donations.write", location_id=body.location_id)
    await known(ports, relief_queries.donor, body.donor_id, "donor_id", "donor")
    await known_pair(ports, body.location_id, body.item_id)
    if body.pledge_id is not None:
        await fulfilled_by(ports, body.pledge_id, body.donor_id, body.item_id, None)
    gift = DonationReceived(
        donation_id=body.id,
        donor_id=body.donor_id,
        location_id=body.location_id,
        item_id=body.item_id,
        quantity=body.quantity,
        lot=body.lot or body.id,
        expires_on=body.expires_on,
        pledge_id=body.pledge_id,
    )
    receipt = donations.receipt_id(body.id)
    with ports.bus.watch(lambda command_id: command_id == receipt) as receipts:
        first = await decide(
            ports, RecordDonation(donation=gift), body.id, user, now, reused_id=TAKEN
        )
        stocked = None
        if first.events and not first.replayed:
            stocked = await receipts.next(ports.settings.decision_timeout_seconds)
    if stocked is None:
        return Outcome(body.id, list(first.events), first.position, repeated=True)
    if stocked.position:
        remember_write(ports, Position.parse(stocked.position))
    return Outcome(body.id, [*first.events, *stocked.events], stocked.position)


async def list_donations(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """Donations received, the latest first (a donor sees only its own)."""
    scope = authorize(user, "donations.read")
    donor_ids = sorted(user.donors) if scope == "donor" else None
    return await in_thread(relief_queries.donations_of, ports.engine, donor_ids, paging)


async def trace_donation(ports: Ports, user: User, donation_id: str) -> Row:
    """Where a donation is (or, for cash, the goods bought with it): in stock (by location),
    in transit, distributed, lost."""
    await gift(ports, user, donation_id)
    return await in_thread(relief_queries.trace, ports.engine, donation_id)


async def gift(ports: Ports, user: User, donation_id: str) -> tuple[Row, bool]:
    """A donation of goods or of money (then True), if the user may read it."""
    scope = authorize(user, "donations.read")
    either = await seen(ports, "donations", _goods_or_cash, donation_id)
    if either is None:
        raise NotFound(f"no donation {donation_id!r}", error="unknown_donation")
    found, is_cash = either
    if scope == "donor" and found["donor_id"] not in user.donors:
        raise Forbidden("this donation belongs to another donor", permission="donations.read")
    return found, is_cash


def _goods_or_cash(engine: Engine, donation_id: str) -> tuple[Row, bool] | None:
    """The donation of goods, else of money (then True); None when neither is known."""
    goods = relief_queries.donation(engine, donation_id)
    if goods is not None:
        return goods, False
    cash = pledges_queries.cash_donation(engine, donation_id)
    return None if cash is None else (cash, True)
