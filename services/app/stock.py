"""Stock movements: each is a command decided by the location's single writer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine

from events.stock import TransferLine
from projections import queries, relief_queries, stock_queries
from services.app.errors import Conflict, Invalid, NotFound
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, known, known_pair, seen
from services.app.sending import Outcome, decide
from services.domain.stock.commands import (
    AdjustStock,
    CancelTransfer,
    CountStock,
    DispatchTransfer,
    ReceiveStock,
    ReceiveTransfer,
    SendBackTransfer,
    SentBackLine,
    SetStockThreshold,
    VoidStockEntry,
)

RECEIVED = ("already_received", "this transfer was already received with other quantities")


async def units_received(
    ports: Ports, item_id: str, quantity: int | None, packs: int | None
) -> int:
    """What a receipt brings in base units: its quantity, or its packs of the item's pack size
    (Invalid when the item has none)."""
    if packs is None:
        assert quantity is not None  # the request gives one or the other
        return quantity
    item = await known(ports, queries.item, item_id, "item_id", "item")
    if not item.get("pack_size"):
        raise Invalid(
            f"item {item_id!r} has no pack size: give the quantity in {item['unit']}",
            field="packs",
        )
    return packs * int(item["pack_size"])


async def receive_stock(ports: Ports, user: User, now: datetime, command: ReceiveStock) -> Outcome:
    """Record goods received at a location as a new lot."""
    authorize(user, "stock.write", location_id=command.location_id)
    await known_pair(ports, command.location_id, command.item_id)
    if command.donation_id is not None:
        await _donated_here(ports, command)
    reply = await decide(ports, command, command.receipt_id, user, now)
    return Outcome.of(command.receipt_id, reply)


async def _donated_here(ports: Ports, command: ReceiveStock) -> None:
    """A receipt may name a donation only of its own item, at its own location (else it
    would swell another donor's trace)."""
    gift = await known(
        ports, relief_queries.donation, str(command.donation_id), "donation_id", "donation",
        stream="donations",
    )  # fmt: skip
    if (gift["location_id"], gift["item_id"]) != (command.location_id, command.item_id):
        raise Invalid(
            f"donation {command.donation_id!r} is {gift['item_id']} received at"
            f" {gift['location_id']}, not {command.item_id} at {command.location_id}",
            field="donation_id",
        )


async def dispatch_transfer(
    ports: Ports, user: User, now: datetime, command: DispatchTransfer
) -> Outcome:
    """Dispatch stock to another location; lots are picked FEFO unless named."""
    authorize(user, "stock.write", location_id=command.from_location_id)
    await known(ports, queries.location, command.from_location_id, "from_location_id", "location")
    await known(ports, queries.location, command.to_location_id, "to_location_id", "location")
    for line in command.lines:
        await known(ports, queries.item, line.item_id, "lines.item_id", "item")
    await _id_free_for(ports, command)
    reply = await decide(ports, command, command.transfer_id, user, now)
    return Outcome.of(command.transfer_id, reply)


async def _id_free_for(ports: Ports, command: DispatchTransfer) -> None:
    """A transfer id names one movement: one already used from another origin, or by a
    convoy, is refused here (its origin's writer refuses the rest, read model or not)."""
    used = await in_thread(stock_queries.transfer_use, ports.engine, command.transfer_id)
    if used and (used["deployment_id"] or used["from_location_id"] != command.from_location_id):
        raise Conflict(
            f"transfer id {command.transfer_id!r} is already used; choose another id",
            error="already_exists",
        )


async def dispatched_transfer(ports: Ports, transfer_id: str) -> dict[str, Any]:
    """The transfer as dispatched (after this process's own dispatch), or NotFound."""

    def lookup(engine: Engine) -> list[dict[str, Any]]:
        return stock_queries.transfer_list(engine, transfer_id=transfer_id).items

    found = await seen(ports, "stock", lookup)
    if not found:
        raise NotFound(f"no dispatched transfer {transfer_id!r}", error="unknown_transfer")
    return found[0]


def arrival(transfer: dict[str, Any], lines: list[tuple[str, int]]) -> ReceiveTransfer:
    """The command that records what arrived of a dispatched transfer."""
    received: dict[str, int] = {}
    for item_id, quantity in lines:
        received[item_id] = received.get(item_id, 0) + quantity
    return ReceiveTransfer(
        transfer_id=transfer["transfer_id"],
        from_location_id=transfer["from_location_id"],
        to_location_id=transfer["to_location_id"],
        deployment_id=transfer["deployment_id"],
        requisition_id=transfer.get("requisition_id"),
        dispatched=dispatched_lots(transfer),
        received=received,
    )


def dispatched_lots(transfer: dict[str, Any]) -> list[TransferLine]:
    """The lots that left the source under a dispatched transfer, as read."""
    return [
        TransferLine(
            item_id=ln["item_id"],
            lot=ln["lot"],
            expires_on=ln["expires_on"],
            donation_id=ln["donation_id"],
            quantity=ln["dispatched"],
        )
        for ln in transfer["lines"]
    ]


async def receive_transfer(
    ports: Ports, user: User, now: datetime, transfer_id: str, lines: list[tuple[str, int]]
) -> Outcome:
    """Record what arrived (item, quantity) of a transfer; a shortfall becomes a discrepancy."""
    transfer = await dispatched_transfer(ports, transfer_id)
    authorize(user, "stock.write", location_id=transfer["to_location_id"])
    if transfer["deployment_id"]:
        raise Conflict(
            f"transfer {transfer_id!r} carries convoy {transfer['deployment_id']!r}:"
            " record what arrived as the convoy's delivery",
            error="convoy_transfer",
            deployment_id=transfer["deployment_id"],
        )
    command = arrival(transfer, lines)
    reply = await decide(ports, command, transfer_id, user, now, reused_id=RECEIVED)
    return Outcome.of(transfer_id, reply)


async def cancel_transfer(
    ports: Ports, user: User, now: datetime, transfer_id: str, reason: str, command_id: str
) -> Outcome:
    """Call back a transfer still on its way: the destination's writer refuses it for good
    (409 once received), and its lots go back to the origin by a policy."""
    transfer = await dispatched_transfer(ports, transfer_id)
    authorize(user, "stock.write", location_id=transfer["from_location_id"])
    if transfer["deployment_id"]:
        raise Conflict(
            f"transfer {transfer_id!r} carries convoy {transfer['deployment_id']!r}:"
            " cancel the convoy instead",
            error="convoy_transfer",
            deployment_id=transfer["deployment_id"],
        )
    command = CancelTransfer(
        transfer_id=transfer_id,
        from_location_id=transfer["from_location_id"],
        to_location_id=transfer["to_location_id"],
        dispatched=dispatched_lots(transfer),
        reason=reason,
    )
    reply = await decide(ports, command, command_id, user, now)
    return Outcome.of(transfer_id, reply)


async def send_back(
    ports: Ports,
    user: User,
    now: datetime,
    transfer_id: str,
    return_id: str,
    lines: list[tuple[str, str, int]] | None,
    reason: str,
) -> Outcome:
    """Send back to its origin, as transfer `return_id`, what arrived under a transfer: the
    lots named (item, lot, quantity), or everything received. The destination's writer
    refuses more than arrived and was not sent back yet (409)."""
    transfer = await dispatched_transfer(ports, transfer_id)
    authorize(user, "stock.write", location_id=transfer["to_location_id"])
    if lines is None:
        lines = [(ln["item_id"], ln["lot"], ln["received"]) for ln in transfer["lines"]]
        lines = [line for line in lines if line[2] > 0]
    if not lines:
        raise Conflict(
            f"nothing of transfer {transfer_id!r} was received to send back",
            error="not_received",
            transfer_id=transfer_id,
        )
    command = SendBackTransfer(
        transfer_id=return_id,
        returns_transfer_id=transfer_id,
        from_location_id=transfer["to_location_id"],
        to_location_id=transfer["from_location_id"],
        lines=[SentBackLine(item_id=i, lot=lot, quantity=q) for i, lot, q in lines],
        reason=reason,
    )
    reply = await decide(ports, command, return_id, user, now)
    return Outcome.of(return_id, reply)


async def adjust_stock(ports: Ports, user: User, now: datetime, command: AdjustStock) -> Outcome:
    """Remove damaged, expired, lost or stolen stock, or add stock found."""
    authorize(user, "stock.write", location_id=command.location_id)
    await known_pair(ports, command.location_id, command.item_id)
    reply = await decide(ports, command, command.adjustment_id, user, now)
    return Outcome.of(command.adjustment_id, reply)


async def count_stock(ports: Ports, user: User, now: datetime, command: CountStock) -> Outcome:
    """Record a physical count: on hand becomes the count, the variance is kept."""
    authorize(user, "stock.write", location_id=command.location_id)
    await known_pair(ports, command.location_id, command.item_id)
    reply = await decide(ports, command, command.count_id, user, now)
    return Outcome.of(command.count_id, reply)


async def set_threshold(
    ports: Ports, user: User, now: datetime, command: SetStockThreshold, command_id: str
) -> Outcome:
    """Set the on-hand level below which a location × item raises a low-stock alert."""
    authorize(user, "stock.thresholds", location_id=command.location_id)
    await known_pair(ports, command.location_id, command.item_id)
    reply = await decide(ports, command, command_id, user, now)
    return Outcome.of(f"{command.location_id}:{command.item_id}", reply)


# What an operator may void (a distribution is voided as such, its stock follows), and the
# event type that records each.
OperatorEntry = Literal["receipt", "adjustment", "count"]
RECORDED_AS = {"receipt": "StockReceived", "adjustment": "StockAdjusted", "count": "StockCounted"}


async def void_entry(
    ports: Ports,
    user: User,
    now: datetime,
    entry: OperatorEntry,
    entry_id: str,
    reason: str,
    command_id: str,
    location_id: str | None = None,
) -> Outcome:
    """Cancel an entry recorded by mistake: the location's writer records its opposite,
    or refuses when the stock it added has left since or it is already voided."""
    where = await _entry_location(ports, entry, entry_id, location_id)
    authorize(user, "stock.write", location_id=where)
    command = VoidStockEntry(location_id=where, entry=entry, entry_id=entry_id, reason=reason)
    reply = await decide(ports, command, command_id, user, now)
    return Outcome.of(entry_id, reply)


async def _entry_location(ports: Ports, entry: str, entry_id: str, location_id: str | None) -> str:
    """Where the entry was recorded (after this process's own writes), or NotFound."""

    def lookup(engine: Engine) -> list[str]:
        found = stock_queries.entry_locations(engine, RECORDED_AS[entry], entry_id)
        return [loc for loc in found if location_id in (None, loc)]

    found = await seen(ports, "stock", lookup)
    if not found:
        raise NotFound(f"no {entry} {entry_id!r}", error=f"unknown_{entry}")
    if len(found) > 1:
        raise Invalid(
            f"{entry} id {entry_id!r} is used at {len(found)} locations; name the location",
            field="location_id",
        )
    return found[0]
