"""Months of stock per location and item: on hand divided by the monthly use over a window
of days read from the stock cards, and whether it falls under a threshold in months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from projections import stock_queries
from projections.paging import EVERYTHING, Id, Page, Paging, page_of
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread
from services.domain.stock.months import monthly_use, months_of_stock, short


async def months_of_stock_at(
    ports: Ports,
    user: User,
    now: datetime,
    window_days: int,
    alert_below: float,
    location_id: str | None = None,
    paging: Paging = EVERYTHING,
) -> Page:
    """Each item a location holds or used in the window, the shortest-lasting first; the
    window is the `window_days` days before today (UTC) and today so far, as the use is
    kept per day."""
    allowed = user.locations_for(authorize(user, "stock.read", location_id=location_id))
    location_ids = [location_id] if location_id else allowed
    since = now.astimezone(UTC).date() - timedelta(days=window_days)
    found = await in_thread(stock_queries.used_and_on_hand, ports.engine, since, location_ids)
    rows = [_row(r, window_days, alert_below) for r in found if r["on_hand"] or r["used"]]
    return page_of(rows, _key, paging, (int, float, Id, Id))


def _row(found: dict[str, Any], window_days: int, alert_below: float) -> dict[str, Any]:
    on_hand, used = int(found["on_hand"] or 0), int(found["used"])
    months = months_of_stock(on_hand, used, window_days)
    return {
        "location_id": found["location_id"],
        "item_id": found["item_id"],
        "on_hand": on_hand,
        "used": used,
        "window_days": window_days,
        "monthly_use": monthly_use(used, window_days),
        "months": months,
        "below": short(months, alert_below),
    }


def _key(row: dict[str, Any]) -> list[Any]:
    """Those that last the least first; those nothing used last."""
    months = row["months"]
    return [0 if months is not None else 1, months or 0.0, row["location_id"], row["item_id"]]
