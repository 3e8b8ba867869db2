"""What is on hand, where, since when, and where it went."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from api.auth import authorize
from api.deps import CurrentUser, Now, ServicesDep
from api.errors import NotFound
from api.reads import ReadAfter
from api.schemas.common import Timestamp
from api.schemas.stock import (
    CardLine,
    InventoryList,
    InventoryRow,
    StockCard,
    TransferList,
    TransferPublic,
)
from projections import queries, stock_queries

router = APIRouter(prefix="/v1", tags=["inventory"])


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
    allowed = user.locations_for(authorize(user, "stock.read", location_id=location_id))
    location_ids = [location_id] if location_id else allowed
    rows = await run_in_threadpool(
        lambda: queries.inventory(
            services.engine, location_ids=location_ids, item_id=item_id, as_of=as_of
        )
    )
    return InventoryList(items=[InventoryRow(**r) for r in rows])


@router.get("/inventory/expiring", response_model=InventoryList)
async def expiring(
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    _: ReadAfter,
    within_days: Annotated[int, Query(ge=0, le=3650)] = 30,
    location_id: str | None = None,
) -> InventoryList:
    """Lots with stock that expire within the given number of days (or already have)."""
    allowed = user.locations_for(authorize(user, "stock.read", location_id=location_id))
    location_ids = [location_id] if location_id else allowed
    rows = await run_in_threadpool(
        stock_queries.expiring_lots, services.engine, now.date(), within_days, location_ids
    )
    return InventoryList(items=[InventoryRow(**r) for r in rows])


@router.get("/inventory/{location_id}/{item_id}/card", response_model=StockCard)
async def stock_card(
    location_id: str, item_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> StockCard:
    """Every movement of an item at a location with the running balance: who, when, why."""
    authorize(user, "stock.read", location_id=location_id)
    rows = await run_in_threadpool(stock_queries.stock_card, services.engine, location_id, item_id)
    lines = [CardLine(**r | {"event_id": str(r["event_id"])}) for r in rows]
    return StockCard(location_id=location_id, item_id=item_id, items=lines)


@router.get("/stock/transfers", response_model=TransferList)
async def transfers(
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    status: Annotated[str | None, Query(pattern="^(in_transit|received)$")] = None,
) -> TransferList:
    """Transfers (in transit or received) touching the locations you may see."""
    allowed = user.locations_for(authorize(user, "stock.read"))
    rows = await run_in_threadpool(
        lambda: stock_queries.transfer_list(services.engine, status=status, location_ids=allowed)
    )
    return TransferList(items=[_transfer(r) for r in rows])


@router.get("/stock/transfers/{transfer_id}", response_model=TransferPublic)
async def transfer(
    transfer_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> TransferPublic:
    """One transfer with its lines: dispatched, received, missing."""
    allowed = user.locations_for(authorize(user, "stock.read"))
    rows = await run_in_threadpool(
        lambda: stock_queries.transfer_list(
            services.engine, transfer_id=transfer_id, location_ids=allowed
        )
    )
    if not rows:
        raise NotFound(f"no transfer {transfer_id!r}")
    return _transfer(rows[0])


def _transfer(row: dict) -> TransferPublic:
    return TransferPublic(
        id=row["transfer_id"], **{k: v for k, v in row.items() if k != "transfer_id"}
    )
