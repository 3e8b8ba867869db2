"""Stock movements: each is a command decided by the location's single writer."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import authorize
from api.consistency import wait_for_own_writes
from api.decide import decide
from api.deps import CurrentUser, IdempotencyKey, Now, Services, ServicesDep
from api.errors import Invalid, NotFound
from api.schemas.stock import (
    AdjustmentCreate,
    CountCreate,
    Decision,
    ReceiptCreate,
    ReceiptPublic,
    ThresholdSet,
    TransferCreate,
    TransferReceiptCreate,
)
from events.stock import TransferLine
from projections import queries, stock_queries
from services.commands import Reply
from services.stock.commands import (
    AdjustStock,
    CountStock,
    DispatchTransfer,
    ReceiveStock,
    ReceiveTransfer,
    RequestedLine,
    SetStockThreshold,
)

router = APIRouter(prefix="/v1/stock", tags=["stock"])
RECEIVED = ("already_received", "this transfer was already received with other quantities")


async def known(
    services: ServicesDep, lookup: Any, key: str, field: str, what: str, stream: str = "reference"
) -> dict:
    """The row (after this process's own writes to `stream`), or 422 naming the field."""
    row = await run_in_threadpool(lookup, services.engine, key)
    if row is None:
        written = services.last_written
        await wait_for_own_writes(services.engine, services.settings, written, stream)
        row = await run_in_threadpool(lookup, services.engine, key)
    if row is None:
        raise Invalid(f"unknown {what} {key!r}: register it first", field=field)
    return row


async def known_pair(services: ServicesDep, location_id: str, item_id: str) -> dict:
    location = await known(services, queries.location, location_id, "location_id", "location")
    await known(services, queries.item, item_id, "item_id", "item")
    return location


def _answer(reply: Reply, client_id: str, response: Response) -> Decision:
    if reply.replayed:
        response.status_code = 200
    return Decision(id=client_id, events=reply.events, position=reply.position)


@router.post("/receipts", status_code=201, response_model=ReceiptPublic)
async def receive_stock(
    body: ReceiptCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReceiptPublic:
    """Record goods received at a location as a new lot."""
    authorize(user, "stock.write", location_id=body.location_id)
    receipt_id = body.id or idempotency_key or str(uuid.uuid4())
    await known_pair(services, body.location_id, body.item_id)
    command = ReceiveStock(
        receipt_id=receipt_id, lot=body.lot or receipt_id, **body.model_dump(exclude={"id", "lot"})
    )
    reply = await decide(services, command, receipt_id, user, now)
    event = reply.events[0]
    if reply.replayed:
        response.status_code = 200
    return ReceiptPublic(
        id=receipt_id,
        location_id=command.location_id,
        item_id=command.item_id,
        quantity=command.quantity,
        lot=command.lot,
        event_id=event["event_id"],
        position=reply.position,
    )


@router.post("/transfers", status_code=201, response_model=Decision)
async def dispatch_transfer(
    body: TransferCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Dispatch stock to another location; lots are picked FEFO unless named."""
    authorize(user, "stock.write", location_id=body.from_location_id)
    transfer_id = body.id or idempotency_key or str(uuid.uuid4())
    await known(services, queries.location, body.from_location_id, "from_location_id", "location")
    await known(services, queries.location, body.to_location_id, "to_location_id", "location")
    for line in body.lines:
        await known(services, queries.item, line.item_id, "lines.item_id", "item")
    command = DispatchTransfer(
        transfer_id=transfer_id,
        from_location_id=body.from_location_id,
        to_location_id=body.to_location_id,
        allow_expired=body.allow_expired,
        lines=[RequestedLine(**line.model_dump()) for line in body.lines],
    )
    return _answer(await decide(services, command, transfer_id, user, now), transfer_id, response)


async def dispatched_transfer(services: Services, transfer_id: str) -> dict[str, Any]:
    """The transfer as dispatched (after this client's own dispatch), or 404."""

    def lookup() -> list[dict[str, Any]]:
        return stock_queries.transfer_list(services.engine, transfer_id=transfer_id)

    found = await run_in_threadpool(lookup)
    if not found:  # perhaps dispatched by this very client a moment ago
        written = services.last_written
        await wait_for_own_writes(services.engine, services.settings, written, "stock")
        found = await run_in_threadpool(lookup)
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
        dispatched=[
            TransferLine(
                item_id=ln["item_id"],
                lot=ln["lot"],
                expires_on=ln["expires_on"],
                donation_id=ln["donation_id"],
                quantity=ln["dispatched"],
            )
            for ln in transfer["lines"]
        ],
        received=received,
    )


@router.post("/transfers/{transfer_id}/receipt", status_code=201, response_model=Decision)
async def receive_transfer(
    transfer_id: str,
    body: TransferReceiptCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
) -> Decision:
    """Record what arrived of a transfer; any shortfall becomes a discrepancy."""
    transfer = await dispatched_transfer(services, transfer_id)
    authorize(user, "stock.write", location_id=transfer["to_location_id"])
    command = arrival(transfer, [(line.item_id, line.quantity) for line in body.lines])
    reply = await decide(services, command, transfer_id, user, now, reused_id=RECEIVED)
    return _answer(reply, transfer_id, response)


@router.post("/adjustments", status_code=201, response_model=Decision)
async def adjust_stock(
    body: AdjustmentCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Remove damaged, expired, lost or stolen stock, or add stock found."""
    authorize(user, "stock.write", location_id=body.location_id)
    adjustment_id = body.id or idempotency_key or str(uuid.uuid4())
    await known_pair(services, body.location_id, body.item_id)
    command = AdjustStock(adjustment_id=adjustment_id, **body.model_dump(exclude={"id"}))
    reply = await decide(services, command, adjustment_id, user, now)
    return _answer(reply, adjustment_id, response)


@router.post("/counts", status_code=201, response_model=Decision)
async def count_stock(
    body: CountCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Record a physical count: on hand becomes the count, the variance is kept."""
    authorize(user, "stock.write", location_id=body.location_id)
    count_id = body.id or idempotency_key or str(uuid.uuid4())
    await known_pair(services, body.location_id, body.item_id)
    command = CountStock(count_id=count_id, **body.model_dump(exclude={"id"}))
    return _answer(await decide(services, command, count_id, user, now), count_id, response)


@router.post("/thresholds", status_code=201, response_model=Decision)
async def set_threshold(
    body: ThresholdSet,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Set the on-hand level below which a location × item raises a low-stock alert."""
    authorize(user, "stock.thresholds", location_id=body.location_id)
    await known_pair(services, body.location_id, body.item_id)
    command_id = idempotency_key or str(uuid.uuid4())
    reply = await decide(services, SetStockThreshold(**body.model_dump()), command_id, user, now)
    return _answer(reply, f"{body.location_id}:{body.item_id}", response)
