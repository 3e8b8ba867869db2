"""What is on hand, where, since when, where it went, and the alerts it raises."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime, time, timedelta
from typing import Any

from projections import households_queries, queries, stock_queries
from projections.paging import EVERYTHING, Id, KeyKind, Page, Paging, page_of
from services.app.errors import NotFound
from services.app.needs import site_stock
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread
from services.domain.requisitions.needs import site_need
from services.domain.stock.months import monthly_use, months_of_stock, short

EXPIRY_ALERT_DAYS = 30
# a transfer line received short is an alert for this many days after its receipt; the
# transfer itself keeps what went missing for good (`GET /v1/stock/transfers/{id}`)
DISCREPANCY_ALERT_DAYS = 30
# months of stock: at the pace of this many days up to today, an alert under this many months
MONTHS_WINDOW_DAYS = 90
MONTHS_ALERT_BELOW = 1.0
Row = dict[str, Any]


async def inventory(
    ports: Ports,
    user: User,
    location_id: str | None = None,
    item_id: str | None = None,
    as_of: datetime | None = None,
    paging: Paging = EVERYTHING,
) -> Page:
    """On hand per location × item × lot (with expiry), now or as of a past moment."""
    allowed = user.locations_for(authorize(user, "stock.read", location_id=location_id))
    location_ids = [location_id] if location_id else allowed
    return await in_thread(
        queries.inventory,
        ports.engine,
        location_ids=location_ids,
        item_id=item_id,
        as_of=as_of,
        paging=paging,
    )


async def expiring(
    ports: Ports,
    user: User,
    today: date,
    within_days: int,
    location_id: str | None = None,
    paging: Paging = EVERYTHING,
) -> Page:
    """Lots with stock that expire within the given number of days (or already have)."""
    allowed = user.locations_for(authorize(user, "stock.read", location_id=location_id))
    location_ids = [location_id] if location_id else allowed
    return await in_thread(
        stock_queries.expiring_lots, ports.engine, today, within_days, location_ids, paging
    )


async def stock_card(
    ports: Ports, user: User, location_id: str, item_id: str, paging: Paging = EVERYTHING
) -> Page:
    """Every movement of an item at a location with the running balance: who, when, why
    (a page at a time, in log order)."""
    authorize(user, "stock.read", location_id=location_id)
    return await in_thread(stock_queries.stock_card, ports.engine, location_id, item_id, paging)


async def transfers(
    ports: Ports,
    user: User,
    status: str | None = None,
    paging: Paging = EVERYTHING,
    arriving_at: Collection[str] | None = None,
) -> Page:
    """Transfers (in transit or received) touching the locations the user may see, the
    latest dispatched first; `arriving_at` keeps those going to these locations."""
    allowed = user.locations_for(authorize(user, "stock.read"))
    return await in_thread(
        stock_queries.transfer_list,
        ports.engine,
        status=status,
        location_ids=allowed,
        paging=paging,
        to_location_ids=arriving_at,
    )


async def transfer(ports: Ports, user: User, transfer_id: str) -> Row:
    """One transfer with its lines: dispatched, received, missing."""
    allowed = user.locations_for(authorize(user, "stock.read"))
    found = await in_thread(
        stock_queries.transfer_list, ports.engine, transfer_id=transfer_id, location_ids=allowed
    )
    if not found.items:
        raise NotFound(f"no transfer {transfer_id!r}")
    return found.items[0]


def _alert(kind: str, location_id: str, item_id: str, message: str, **details: Any) -> Row:
    return {
        "kind": kind,
        "location_id": location_id,
        "item_id": item_id,
        "message": message,
        "details": details,
    }


def _low_stock(ports: Ports, today: date, location_ids: Any) -> list[Row]:
    return [
        _alert(
            "low_stock", r["location_id"], r["item_id"],
            f"{r['on_hand']} on hand, below the minimum of {r['minimum']}",
            on_hand=r["on_hand"], minimum=r["minimum"],
        )
        for r in stock_queries.low_stock(ports.engine, location_ids)
    ]  # fmt: skip


def _expiring(ports: Ports, today: date, location_ids: Any) -> list[Row]:
    found = stock_queries.expiring_lots(ports.engine, today, EXPIRY_ALERT_DAYS, location_ids)
    return [
        _alert(
            "expiring", r["location_id"], r["item_id"],
            f"lot {r['lot']}: {r['on_hand']} expiring on {r['expires_on']}",
            lot=r["lot"], on_hand=r["on_hand"], expires_on=r["expires_on"].isoformat(),
        )
        for r in found.items
    ]  # fmt: skip


def _short_on_arrival(ports: Ports, today: date, location_ids: Any) -> list[Row]:
    """Transfer lines received short in the last `DISCREPANCY_ALERT_DAYS` days."""
    since = _midnight(today, DISCREPANCY_ALERT_DAYS)
    return [
        _alert(
            "transfer_discrepancy", r["to_location_id"], r["item_id"],
            f"transfer {r['transfer_id']}: {r['missing']} missing from lot {r['lot']}",
            transfer_id=r["transfer_id"], lot=r["lot"], missing=r["missing"],
            from_location_id=r["from_location_id"],
        )
        for r in stock_queries.discrepancies(ports.engine, since, location_ids)
    ]  # fmt: skip


def _negative(ports: Ports, today: date, location_ids: Any) -> list[Row]:
    return [
        _alert(
            "negative_stock", r["location_id"], r["item_id"],
            f"recorded stock is {r['on_hand']}: check receipts and distributions",
            on_hand=r["on_hand"],
        )
        for r in stock_queries.negative_stock(ports.engine, location_ids)
    ]  # fmt: skip


def _collect(ports: Ports, today: date, location_ids: Any, kind: str | None) -> list[Row]:
    """The alerts of one kind, or of every kind; only the kinds asked for are read."""
    return [
        alert
        for name, found in KINDS.items()
        if kind in (None, name)
        for alert in found(ports, today, location_ids)
    ]


def _midnight(today: date, days_before: int) -> datetime:
    """The start (naive UTC) of the day `days_before` days before today."""
    return datetime.combine(today - timedelta(days=days_before), time())


def _running_out(ports: Ports, today: date, location_ids: Any) -> list[Row]:
    """Locations whose stock of an item lasts under `MONTHS_ALERT_BELOW` months at the pace
    of the last `MONTHS_WINDOW_DAYS` days (from midnight, UTC)."""
    since = today - timedelta(days=MONTHS_WINDOW_DAYS)
    found = []
    for r in stock_queries.used_and_on_hand(ports.engine, since, location_ids):
        on_hand, used = int(r["on_hand"] or 0), int(r["used"])
        months = months_of_stock(on_hand, used, MONTHS_WINDOW_DAYS)
        if short(months, MONTHS_ALERT_BELOW):
            found.append(_alert(
                "months_of_stock", r["location_id"], r["item_id"],
                f"{on_hand} on hand last {months} months at {MONTHS_WINDOW_DAYS} days' pace,"
                f" under {MONTHS_ALERT_BELOW}",
                on_hand=on_hand, monthly_use=monthly_use(used, MONTHS_WINDOW_DAYS),
                months=months, below=MONTHS_ALERT_BELOW, window_days=MONTHS_WINDOW_DAYS,
            ))  # fmt: skip
    return found


def _short_of_needs(ports: Ports, today: date, location_ids: Any) -> list[Row]:
    """Sites whose stock of a running campaign's item, with what is on its way there, will
    not cover what the households they expect are still due (the campaign's needs)."""
    found = []
    for campaign in households_queries.campaigns_due(ports.engine, today):
        campaign_id, item_id = campaign["campaign_id"], campaign["item_id"]
        for site in site_stock(ports, campaign_id, item_id):
            need = site_need(site)
            if need.short and (location_ids is None or site.site_id in location_ids):
                found.append(_alert(
                    "campaign_needs", site.site_id, item_id,
                    f"campaign {campaign_id}: {need.due} still due, {need.on_hand} on hand and"
                    f" {need.in_transit} on the way, {need.short} short",
                    campaign_id=campaign_id, due=need.due, on_hand=need.on_hand,
                    in_transit=need.in_transit, short=need.short,
                ))  # fmt: skip
    return found


KINDS: dict[str, Callable[[Ports, date, Any], list[Row]]] = {
    "low_stock": _low_stock,
    "expiring": _expiring,
    "transfer_discrepancy": _short_on_arrival,
    "negative_stock": _negative,
    "months_of_stock": _running_out,
    "campaign_needs": _short_of_needs,
}


# kind, location, item, lot (or ""), transfer (or "")
ALERT_KEY: tuple[KeyKind, ...] = (frozenset(KINDS), Id, Id, str, str)


async def alerts(
    ports: Ports, user: User, today: date, kind: str | None = None, paging: Paging = EVERYTHING
) -> Page:
    """Open alerts: low stock, lots expiring soon, transfer lines received short in the last
    `DISCREPANCY_ALERT_DAYS` days, negative stock, stock lasting under a month, sites short
    of a running campaign's needs; by kind, location and item."""
    allowed = user.locations_for(authorize(user, "alerts.read"))
    found = await in_thread(_collect, ports, today, allowed, kind)
    return page_of(found, _alert_key, paging, ALERT_KEY)


def _alert_key(alert: Row) -> list[Any]:
    keys = (alert["kind"], alert["location_id"], alert["item_id"])
    return [*keys, alert.get("lot") or "", alert.get("transfer_id") or ""]


async def thresholds(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """The low-stock thresholds set, by location and item, with what each has on hand."""
    allowed = user.locations_for(authorize(user, "stock.read"))
    return await in_thread(stock_queries.thresholds, ports.engine, allowed, paging)
