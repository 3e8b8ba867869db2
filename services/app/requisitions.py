"""Requisitions: a site or a warehouse asks a warehouse for stock; a coordinator approves
(fewer units, perhaps), by transfer or by convoy, rejects or closes short. The transfer or
convoy that follows an approval, and its dispatch and receipt, are carried by the worker's
policies, not from here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from projections import queries, relief_queries, requisition_queries
from projections.paging import EVERYTHING, Page, Paging
from services.app.errors import Conflict, Invalid, NotFound
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, known, wait_for_own_writes
from services.app.sending import TAKEN, Outcome, decide
from services.domain.requisitions.commands import (
    ApprovedQuantity,
    ApproveRequisition,
    CloseRequisition,
    RaiseRequisition,
    RejectRequisition,
)

Row = dict[str, Any]


async def raise_requisition(
    ports: Ports, user: User, now: datetime, command: RaiseRequisition
) -> Outcome:
    """Ask a warehouse for stock, for a location the user is assigned to."""
    authorize(user, "requisitions.write", location_id=command.requesting_location_id)
    await known(ports, queries.location, command.requesting_location_id,
                "requesting_location_id", "location")  # fmt: skip
    supplier = await known(ports, queries.location, command.supplying_location_id,
                           "supplying_location_id", "location")  # fmt: skip
    if supplier["kind"] != "warehouse":
        raise Invalid(
            f"{command.supplying_location_id!r} is a {supplier['kind']}: ask a warehouse",
            field="supplying_location_id",
        )
    for line in command.lines:
        await known(ports, queries.item, line.item_id, "lines.item_id", "item")
    reply = await decide(ports, command, command.requisition_id, user, now, reused_id=TAKEN)
    return Outcome.registered(command.requisition_id, reply)


async def approve(
    ports: Ports,
    user: User,
    now: datetime,
    requisition_id: str,
    lines: list[tuple[str, int]],
    command_id: str,
    operation_id: str | None = None,
) -> Outcome:
    """Approve as asked, or fewer units of some lines (422 for more than asked); by convoy
    within `operation_id` (422 when unknown, 409 `operation_closed` once it closed)."""
    authorize(user, "requisitions.decide")
    await current(ports, requisition_id)
    if operation_id is not None:
        await _open_operation(ports, operation_id)
    approved = [ApprovedQuantity(item_id=i, quantity=q) for i, q in lines]
    command = ApproveRequisition(
        requisition_id=requisition_id, lines=approved, operation_id=operation_id
    )
    return Outcome.of(requisition_id, await decide(ports, command, command_id, user, now))


async def _open_operation(ports: Ports, operation_id: str) -> None:
    """The operation a convoy is to be planned in exists and is open."""
    await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "reference")
    operation = await known(ports, relief_queries.operation, operation_id, "operation_id",
                            "operation")  # fmt: skip
    if operation["closed_on"] is not None:
        raise Conflict(
            f"operation {operation_id!r} closed on {operation['closed_on']}: "
            "approve the lines by transfer, or in an open operation",
            error="operation_closed",
            closed_on=str(operation["closed_on"]),
        )


async def reject(
    ports: Ports, user: User, now: datetime, requisition_id: str, reason: str, command_id: str
) -> Outcome:
    """Refuse a requisition not approved yet (or whose transfer was refused), saying why."""
    authorize(user, "requisitions.decide")
    await current(ports, requisition_id)
    command = RejectRequisition(requisition_id=requisition_id, reason=reason)
    return Outcome.of(requisition_id, await decide(ports, command, command_id, user, now))


async def close(
    ports: Ports, user: User, now: datetime, requisition_id: str, reason: str, command_id: str
) -> Outcome:
    """Close short an approved requisition: what was not received will not come."""
    authorize(user, "requisitions.decide")
    await current(ports, requisition_id)
    command = CloseRequisition(requisition_id=requisition_id, reason=reason)
    return Outcome.of(requisition_id, await decide(ports, command, command_id, user, now))


async def current(ports: Ports, requisition_id: str) -> Row:
    """The requisition as projected (after this process's own writes), or NotFound."""
    await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "requisitions")
    row = await in_thread(requisition_queries.requisition, ports.engine, requisition_id)
    if row is None:
        raise NotFound(f"no requisition {requisition_id!r}", error="unknown_requisition")
    return row


async def requisitions(
    ports: Ports, user: User, status: str | None = None, paging: Paging = EVERYTHING
) -> Page:
    """Requisitions raised by or asked of the locations the user may see, latest first."""
    allowed = user.locations_for(authorize(user, "requisitions.read"))
    return await in_thread(
        requisition_queries.requisition_list,
        ports.engine,
        location_ids=allowed,
        status=status,
        paging=paging,
    )


async def requisition(ports: Ports, user: User, requisition_id: str) -> Row:
    """One requisition with its lines (404 when it is not the user's to see)."""
    allowed = user.locations_for(authorize(user, "requisitions.read"))
    row = await current(ports, requisition_id)
    mine = {row["requesting_location_id"], row["supplying_location_id"]}
    if allowed is not None and not mine & allowed:
        raise NotFound(f"no requisition {requisition_id!r}", error="unknown_requisition")
    return row
