"""Alerts: conditions that need someone's attention, open while the facts say so."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.auth import authorize
from api.deps import CurrentUser, Now, ServicesDep
from api.reads import ReadAfter
from projections import stock_queries

router = APIRouter(prefix="/v1", tags=["alerts"])
EXPIRY_ALERT_DAYS = 30


class Alert(BaseModel):
    kind: str
    location_id: str
    item_id: str
    message: str
    details: dict[str, Any]


class AlertList(BaseModel):
    items: list[Alert]


def _collect(services: Any, today: Any, location_ids: Any) -> list[Alert]:
    engine = services.engine
    alerts = [
        Alert(
            kind="low_stock",
            location_id=r["location_id"],
            item_id=r["item_id"],
            message=f"{r['on_hand']} on hand, below the minimum of {r['minimum']}",
            details={"on_hand": r["on_hand"], "minimum": r["minimum"]},
        )
        for r in stock_queries.low_stock(engine, location_ids)
    ]
    alerts += [
        Alert(
            kind="expiring",
            location_id=r["location_id"],
            item_id=r["item_id"],
            message=f"lot {r['lot']}: {r['on_hand']} expiring on {r['expires_on']}",
            details={
                "lot": r["lot"],
                "on_hand": r["on_hand"],
                "expires_on": r["expires_on"].isoformat(),
            },
        )
        for r in stock_queries.expiring_lots(engine, today, EXPIRY_ALERT_DAYS, location_ids)
    ]
    alerts += [
        Alert(
            kind="transfer_discrepancy",
            location_id=r["to_location_id"],
            item_id=r["item_id"],
            message=f"transfer {r['transfer_id']}: {r['missing']} missing from lot {r['lot']}",
            details={
                "transfer_id": r["transfer_id"],
                "lot": r["lot"],
                "missing": r["missing"],
                "from_location_id": r["from_location_id"],
            },
        )
        for r in stock_queries.discrepancies(engine, location_ids)
    ]
    alerts += [
        Alert(
            kind="negative_stock",
            location_id=r["location_id"],
            item_id=r["item_id"],
            message=f"recorded stock is {r['on_hand']}: check receipts and distributions",
            details={"on_hand": r["on_hand"]},
        )
        for r in stock_queries.negative_stock(engine, location_ids)
    ]
    return alerts


@router.get("/alerts", response_model=AlertList)
async def alerts(
    services: ServicesDep, user: CurrentUser, now: Now, _: ReadAfter, kind: str | None = None
) -> AlertList:
    """Open alerts: low stock, lots expiring soon, transfer discrepancies, negative stock."""
    allowed = user.locations_for(authorize(user, "alerts.read"))
    found = await run_in_threadpool(_collect, services, now.date(), allowed)
    return AlertList(items=[a for a in found if kind is None or a.kind == kind])
