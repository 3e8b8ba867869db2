"""What is on hand, where, since when, and where it went."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.answers import card_line, inventory_row, transfer_public
from api.deps import CurrentUser, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.dates import Moment
from api.schemas.stock import (
    InventoryList,
    MonthsOfStock,
    MonthsOfStockList,
    StockCard,
    TransferList,
    TransferPublic,
)
from services.app import inventory as stock_on_hand
from services.app.months_of_stock import months_of_stock_at

router = Router(prefix="/v1", tags=["inventory"])


@router.get("/inventory", response_model=InventoryList)
async def inventory(
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    page: PageOf,
    location_id: str | None = None,
    item_id: str | None = None,
    as_of: Annotated[Moment | None, Query(description="Stock as it was at that moment.")] = None,
) -> InventoryList:
    """On hand per location × item × lot (with expiry), now or as of a past moment."""
    found = await stock_on_hand.inventory(services, user, location_id, item_id, as_of, page)
    return InventoryList(items=[inventory_row(r) for r in found.items], next=found.next)


@router.get("/inventory/expiring", response_model=InventoryList)
async def expiring(
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    _: ReadAfter,
    page: PageOf,
    within_days: Annotated[int, Query(ge=0, le=3650)] = 30,
    location_id: str | None = None,
) -> InventoryList:
    """Lots with stock that expire within the given number of days (or already have)."""
    today = now.date()
    found = await stock_on_hand.expiring(services, user, today, within_days, location_id, page)
    return InventoryList(items=[inventory_row(r) for r in found.items], next=found.next)


@router.get("/inventory/months-of-stock", response_model=MonthsOfStockList)
async def months_of_stock(
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    _: ReadAfter,
    page: PageOf,
    window_days: Annotated[int, Query(ge=1, le=730, description="Days of use to average.")] = 90,
    alert_below: Annotated[float, Query(ge=0, le=120, description="Months: `below` under.")] = 1,
    location_id: str | None = None,
) -> MonthsOfStockList:
    """Per location and item: on hand, units used over the last `window_days` (whole days,
    UTC, and today so far; handed out or dispatched), the monthly use, and the months the
    stock lasts at that pace, the shortest-lasting first; `below` when under `alert_below`
    months."""
    found = await months_of_stock_at(
        services, user, now, window_days, alert_below, location_id, page
    )
    rows = [MonthsOfStock(**r) for r in found.items]
    return MonthsOfStockList(items=rows, next=found.next)


@router.get("/inventory/{location_id}/{item_id}/card", response_model=StockCard)
async def stock_card(
    location_id: str,
    item_id: str,
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    page: PageOf,
) -> StockCard:
    """Every movement of an item at a location with the running balance: who, when, why; in
    log order, a page at a time (`next` reads on)."""
    found = await stock_on_hand.stock_card(services, user, location_id, item_id, page)
    lines = [card_line(r) for r in found.items]
    return StockCard(location_id=location_id, item_id=item_id, items=lines, next=found.next)


@router.get("/stock/transfers", response_model=TransferList)
async def transfers(
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    page: PageOf,
    status: Annotated[str | None, Query(pattern="^(in_transit|received)$")] = None,
) -> TransferList:
    """Transfers (in transit or received) touching the locations you may see, the latest
    dispatched first."""
    found = await stock_on_hand.transfers(services, user, status, page)
    return TransferList(items=[transfer_public(r) for r in found.items], next=found.next)


@router.get("/stock/transfers/{transfer_id}", response_model=TransferPublic)
async def transfer(
    transfer_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> TransferPublic:
    """One transfer with its lines: dispatched, received, missing."""
    return transfer_public(await stock_on_hand.transfer(services, user, transfer_id))
