"""Stock receipts and the inventory they build."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import authorize
from api.consistency import wait_for_own_writes
from api.deps import CurrentUser, IdempotencyKey, Now, ServicesDep
from api.errors import Conflict, Invalid
from api.reads import ReadAfter
from api.schemas.common import Timestamp
from api.schemas.stock import InventoryList, InventoryRow, ReceiptCreate, ReceiptPublic
from events.serialization import event_id_for
from events.stock import StockReceived
from projections import queries
from services.recording import record

router = APIRouter(prefix="/v1", tags=["stock"])


async def known(services: ServicesDep, lookup: Any, key: str, field: str, what: str) -> dict:
    """The reference row, waiting for this process's own registrations before saying 422."""
    row = await run_in_threadpool(lookup, services.engine, key)
    if row is None:
        await wait_for_own_writes(
            services.engine, services.settings, services.last_written, "reference"
        )
        row = await run_in_threadpool(lookup, services.engine, key)
    if row is None:
        raise Invalid(f"unknown {what} {key!r}: register it first", field=field)
    return row


def _same_receipt(existing: dict[str, Any], event: StockReceived) -> bool:
    return (
        existing["location_id"],
        existing["item_id"],
        existing["lot"],
        existing["quantity"],
    ) == (
        event.location_id,
        event.item_id,
        event.lot,
        event.quantity,
    )


@router.post("/stock/receipts", status_code=201, response_model=ReceiptPublic)
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
    location = await known(services, queries.location, body.location_id, "location_id", "location")
    await known(services, queries.item, body.item_id, "item_id", "item")
    if location["kind"] != "warehouse" and user.role == "operator":
        raise Invalid("operators receive stock in warehouses only", field="location_id")
    event = StockReceived(
        receipt_id=receipt_id,
        location_id=body.location_id,
        item_id=body.item_id,
        quantity=body.quantity,
        lot=body.lot or receipt_id,
        expires_on=body.expires_on,
        donation_id=body.donation_id,
    )
    answer = ReceiptPublic(
        id=receipt_id,
        location_id=event.location_id,
        item_id=event.item_id,
        quantity=event.quantity,
        lot=event.lot,
        event_id=str(event_id_for(receipt_id, 0)),
    )
    existing = await run_in_threadpool(queries.receipt, services.engine, receipt_id)
    if existing is not None:
        if not _same_receipt(existing, event):
            raise Conflict(
                f"receipt {receipt_id!r} was already recorded with other values",
                error="idempotency_conflict",
            )
        response.status_code = 200
        return answer
    position = await run_in_threadpool(
        record,
        services.publisher,
        [event],
        command_id=receipt_id,
        actor=user.actor,
        occurred_at=body.occurred_at or now,
        recorded_at=now,
    )
    services.wrote(position)
    answer.position = str(position)
    return answer


@router.get("/inventory", response_model=InventoryList)
async def inventory(
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    location_id: str | None = None,
    item_id: str | None = None,
    as_of: Annotated[Timestamp | None, Query(description="Stock as it was at that moment.")] = None,
) -> InventoryList:
    """On hand per location × item × lot (with expiry), now or as of a past moment."""
    scope = authorize(user, "stock.read", location_id=location_id)
    allowed = user.locations_for(scope)
    location_ids = [location_id] if location_id else allowed
    rows = await run_in_threadpool(
        lambda: queries.inventory(
            services.engine, location_ids=location_ids, item_id=item_id, as_of=as_of
        )
    )
    return InventoryList(items=[InventoryRow(**r) for r in rows])
