"""Alerts: conditions that need someone's attention, open while the facts say so."""

from __future__ import annotations

from api.answers import alert
from api.deps import CurrentUser, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.stock import AlertList
from services.app import inventory

router = Router(prefix="/v1", tags=["alerts"])


@router.get("/alerts", response_model=AlertList)
async def alerts(
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    _: ReadAfter,
    page: PageOf,
    kind: str | None = None,
) -> AlertList:
    """Open alerts: low stock, lots expiring soon, transfer discrepancies, negative stock,
    under a month of stock."""
    found = await inventory.alerts(services, user, now.date(), kind, page)
    return AlertList(items=[alert(a) for a in found.items], next=found.next)
