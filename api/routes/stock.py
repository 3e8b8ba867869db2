"""Stock movements: each is a command decided by the location's single writer."""

from __future__ import annotations

import uuid
from enum import StrEnum

from fastapi import Response

from api import requests
from api.answers import decision
from api.deps import CurrentUser, IdempotencyKey, Now, ServicesDep
from api.routing import Router
from api.schemas.stock import (
    AdjustmentCreate,
    CountCreate,
    Decision,
    ReceiptCreate,
    ReceiptPublic,
    ThresholdSet,
    TransferCreate,
    TransferReceiptCreate,
    TransferReturnCreate,
    VoidCreate,
    Voiding,
)
from services.app import stock
from services.app.stock import OperatorEntry
from services.domain.stock.commands import SetStockThreshold

router = Router(prefix="/v1/stock", tags=["stock"])


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
    units = await stock.units_received(services, body.item_id, body.quantity, body.packs)
    command = requests.receipt(body, body.id or idempotency_key or str(uuid.uuid4()), units)
    outcome = await stock.receive_stock(services, user, now, command)
    decision(outcome, response)
    return ReceiptPublic(
        id=outcome.id,
        location_id=command.location_id,
        item_id=command.item_id,
        quantity=command.quantity,
        lot=command.lot,
        event_id=outcome.events[0]["event_id"],
        position=outcome.position,
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
    command = requests.transfer(body, body.id or idempotency_key or str(uuid.uuid4()))
    return decision(await stock.dispatch_transfer(services, user, now, command), response)


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
    lines = [(line.item_id, line.quantity) for line in body.lines]
    return decision(await stock.receive_transfer(services, user, now, transfer_id, lines), response)


@router.post("/transfers/{transfer_id}/cancel", status_code=201, response_model=Decision)
async def cancel_transfer(
    transfer_id: str,
    body: Voiding,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Call back a transfer still on its way: its stock goes back to the origin (409 once
    received or already cancelled)."""
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await stock.cancel_transfer(services, user, now, transfer_id, body.reason, command_id)
    return decision(outcome, response)


@router.post("/transfers/{transfer_id}/return", status_code=201, response_model=Decision)
async def return_transfer(
    transfer_id: str,
    body: TransferReturnCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
) -> Decision:
    """Send back to its origin what arrived under a transfer (all of it, or the lots named),
    as a new transfer that the origin receives; 409 beyond what arrived and was not sent
    back yet, or when the stock has left since."""
    lines = [(ln.item_id, ln.lot, ln.quantity) for ln in body.lines] if body.lines else None
    outcome = await stock.send_back(services, user, now, transfer_id, body.id, lines, body.reason)
    return decision(outcome, response)


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
    command = requests.adjustment(body, body.id or idempotency_key or str(uuid.uuid4()))
    return decision(await stock.adjust_stock(services, user, now, command), response)


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
    command = requests.count(body, body.id or idempotency_key or str(uuid.uuid4()))
    return decision(await stock.count_stock(services, user, now, command), response)


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
    command = SetStockThreshold(**body.model_dump())
    command_id = idempotency_key or str(uuid.uuid4())
    return decision(await stock.set_threshold(services, user, now, command, command_id), response)


class VoidedEntries(StrEnum):
    """The entries an operator may void, as their collections are named in paths."""

    receipts = "receipts"
    adjustments = "adjustments"
    counts = "counts"


ENTRY: dict[VoidedEntries, OperatorEntry] = {
    VoidedEntries.receipts: "receipt",
    VoidedEntries.adjustments: "adjustment",
    VoidedEntries.counts: "count",
}


@router.post("/{entries}/{entry_id}/void", status_code=201, response_model=Decision)
async def void_entry(
    entries: VoidedEntries,
    entry_id: str,
    body: VoidCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Cancel a receipt, an adjustment or a count recorded by mistake: its opposite is
    recorded (409 when the stock it added has left since, or when it is already voided)."""
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await stock.void_entry(
        services, user, now, ENTRY[entries], entry_id, body.reason, command_id, body.location_id
    )
    return decision(outcome, response)
