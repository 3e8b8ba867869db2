"""Donors' pledges: made, counted as donations naming them arrive, withdrawn, overdue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from events.pledges import PledgeMade
from projections import pledges_queries, queries, relief_queries
from projections.paging import EVERYTHING, Page, Paging
from services.app.errors import Conflict, Forbidden, Invalid, NotFound
from services.app.permissions import Scope, User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, known, wait_for_own_writes
from services.app.sending import Outcome, decide, register
from services.domain.pledges.commands import CancelPledge, MakePledge

Row = dict[str, Any]


async def make_pledge(ports: Ports, user: User, now: datetime, pledge: PledgeMade) -> Outcome:
    """Record a donor's pledge of goods or money (the same again is a repeat)."""
    authorize(user, "pledges.write")
    await known(ports, relief_queries.donor, pledge.donor_id, "donor_id", "donor")
    if pledge.item_id is not None:
        await known(ports, queries.item, pledge.item_id, "item_id", "item")
    command = MakePledge(**pledge.model_dump())
    return await register(ports, command, pledge.pledge_id, user, now)


async def cancel_pledge(
    ports: Ports, user: User, now: datetime, command: CancelPledge, command_id: str
) -> Outcome:
    """Withdraw what is outstanding of a pledge (409 when nothing is)."""
    authorize(user, "pledges.write")
    reply = await decide(ports, command, command_id, user, now)
    return Outcome.of(command.pledge_id, reply)


async def pledge(ports: Ports, user: User, pledge_id: str) -> Row:
    """One pledge with what is received, outstanding and over (a donor: only its own)."""
    scope = authorize(user, "pledges.read")
    await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "pledges")
    found = await in_thread(pledges_queries.pledge, ports.engine, pledge_id)
    if found is None:
        raise NotFound(f"no pledge {pledge_id!r}", error="unknown_pledge")
    if scope is Scope.DONOR and found["donor_id"] not in user.donors:
        raise Forbidden("this pledge belongs to another donor", permission="pledges.read")
    return found


async def list_pledges(
    ports: Ports,
    user: User,
    donor_id: str | None = None,
    overdue_on: date | None = None,
    paging: Paging = EVERYTHING,
) -> Page:
    """Pledges, the soonest due first; a donor sees only its own; `overdue_on` keeps those
    due before that day with something outstanding."""
    scope = authorize(user, "pledges.read", donor_id=donor_id)
    donor_ids = [donor_id] if donor_id else None
    if scope is Scope.DONOR and donor_ids is None:
        donor_ids = sorted(user.donors)
    return await in_thread(pledges_queries.pledges_of, ports.engine, donor_ids, overdue_on, paging)


async def fulfilled_by(
    ports: Ports, pledge_id: str, donor_id: str, item_id: str | None, currency: str | None
) -> None:
    """Refuse a donation naming a pledge it cannot fulfil: unknown (422), another donor's or
    of another item or currency (422), or withdrawn (409)."""
    found = await known(ports, pledges_queries.pledge, pledge_id, "pledge_id", "pledge", "pledges")
    if found["donor_id"] != donor_id:
        raise Invalid(f"pledge {pledge_id!r} is another donor's", field="pledge_id")
    if (found["item_id"], found["currency"]) != (item_id, currency):
        promised = found["item_id"] or found["currency"]
        raise Invalid(f"pledge {pledge_id!r} is of {promised!r}", field="pledge_id")
    if found["status"] == "cancelled":
        raise Conflict(f"pledge {pledge_id!r} is cancelled", error="pledge_cancelled")


async def gifts_of_pledge(ports: Ports, user: User, pledge: Row) -> list[tuple[Row, bool]]:
    """The donations fulfilling a pledge (as `list_pledges` gave it), goods then cash, each
    with whether it is cash."""
    authorize(user, "pledges.read", donor_id=pledge["donor_id"])
    return await in_thread(pledges_queries.gifts_of_pledge, ports.engine, pledge["pledge_id"])
