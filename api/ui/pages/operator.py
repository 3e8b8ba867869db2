"""The warehouse operator: stock with expiry, movements, arrivals, the stock card, alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Response
from fastapi.responses import RedirectResponse

from api import answers
from api.errors import ApiError, NotFound
from api.routing import Router
from api.schemas.stock import StockCard, TransferReceiptCreate, VoidCreate
from api.ui.forms import FormErrors, integer, parse, refusal
from api.ui.pages.stock_forms import MOVEMENTS, assembly_preview, choices, new_form_id
from api.ui.web import CARD_ROWS, Page, PageRoute, more_url, section
from projections.paging import Paging
from services.app import inventory, kits, names, stock
from services.app import reference as reference_app
from services.app.months_of_stock import months_of_stock_at
from services.app.stock import OperatorEntry

router = Router(prefix="/operator", route_class=PageRoute, include_in_schema=False)
Operator = Annotated[Page, Depends(section("operator"))]
EXPIRY_WARNING_DAYS = 30
# Months of stock on the stock page: the pace of the last 90 days, flagged under one month.
MONTHS_WINDOW_DAYS, MONTHS_ALERT_BELOW = 90, 1.0
STOCK_ROWS = 100  # lots per page of the stock page
ARRIVAL_ROWS = 20  # transfers (each with its form) per page of arrivals


async def reference(page: Page) -> dict[str, Any]:
    """Names of locations and items, and the warehouses this user may move stock from."""
    assert page.user is not None
    locations = await names.locations(page.services)
    items = await names.items(page.services)
    mine = page.user.warehouses if page.user.role == "operator" else None
    own = [loc for loc in locations if loc["kind"] == "warehouse"]
    own = [loc for loc in own if mine is None or loc["location_id"] in mine]
    return {
        "names": {loc["location_id"]: loc["name"] for loc in locations}
        | {it["item_id"]: it["name"] for it in items},
        "locations": locations,
        "items": items,
        "own": own,
        "kits": await names.kit_compositions(page.services),
    }


def expiry_class(expires_on: date | None, today: date) -> str:
    if expires_on is None:
        return ""
    if expires_on < today:
        return "expired"
    return "expiring" if expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS) else ""


@router.get("")
async def stock_page(
    page: Operator, location_id: str | None = None, done: str = "", after: str | None = None
) -> Response:
    """Stock by location, item and lot, expiry highlighted, STOCK_ROWS lots at a time with a
    link to the next; and the location's alerts."""
    assert page.user is not None
    now, services, user = datetime.now(UTC), page.services, page.user
    listed = await inventory.inventory(
        services, user, location_id, paging=Paging(STOCK_ROWS, after)
    )
    rows = [answers.inventory_row(r) for r in listed.items]
    here = {"location_id": location_id} if location_id else {}
    more = more_url("/operator", listed.next, **here)
    open_alerts = [
        answers.alert(a) for a in (await inventory.alerts(services, user, now.date())).items
    ]
    found = [a for a in open_alerts if location_id in (None, a.location_id)]
    ref = await reference(page)
    today = now.date()
    weights = await reference_app.item_weights(services, user)
    lines = [
        r.model_dump()
        | {"flag": expiry_class(r.expires_on, today), "kg": _kg(weights, r.item_id, r.on_hand)}
        for r in rows
    ]
    lasting = await months_of_stock_at(
        services, user, now, MONTHS_WINDOW_DAYS, MONTHS_ALERT_BELOW, location_id
    )
    return page.render(
        "operator/stock.html", rows=lines, alerts=found, location_id=location_id,
        done=done, more=more, months=lasting.items, window_days=MONTHS_WINDOW_DAYS,
        alert_below=MONTHS_ALERT_BELOW, **ref,
    )  # fmt: skip


def _kg(weights: dict[str, Decimal], item_id: str, units: int) -> Decimal | None:
    weight = weights.get(item_id)
    return None if weight is None else weight * units


# The entries a stock card offers to void, by the event type of their line.
VOIDABLE: dict[str, OperatorEntry] = {
    "StockReceived": "receipt",
    "StockAdjusted": "adjustment",
    "StockCounted": "count",
}


@router.get("/card")
async def card_page(
    page: Operator, location_id: str, item_id: str, done: str = "", after: str | None = None
) -> Response:
    """Every movement of an item at a location with its running balance, a page at a time;
    receipts, adjustments and counts not voided yet can be voided from here, with a reason."""
    return await _card(page, location_id, item_id, FormErrors({}, 200), None, done, after)


async def _card(
    page: Page,
    location_id: str,
    item_id: str,
    errors: FormErrors,
    failed: str | None,
    done: str,
    after: str | None = None,
) -> Response:
    assert page.user is not None
    found = await inventory.stock_card(
        page.services, page.user, location_id, item_id, Paging(CARD_ROWS, after)
    )
    card = StockCard(
        location_id=location_id, item_id=item_id, items=[answers.card_line(r) for r in found.items]
    )
    more = more_url("/operator/card", found.next, location_id=location_id, item_id=item_id)
    ref = await reference(page)
    may_void = any(loc["location_id"] == location_id for loc in ref["own"])
    return page.render(
        "operator/card.html", errors.status, card=card, voidable=VOIDABLE,
        may_void=may_void, errors=errors.errors, failed=failed, done=done, form_id=new_form_id(),
        more=more, **ref,
    )  # fmt: skip


@router.post("/card/void")
async def void_entry(page: Operator) -> Response:
    """Void a receipt, an adjustment or a count from its stock card."""
    assert page.user is not None
    form = await page.form()
    location_id, item_id = form.get("location_id", ""), form.get("item_id", "")
    entry, entry_id = VOIDABLE.get(form.get("kind", "")), form.get("entry_id", "")
    if entry is None:
        raise NotFound("no such entry")
    try:
        body = parse(VoidCreate, {"reason": form.get("reason", "")}, page.t)
        await stock.void_entry(
            page.services, page.user, datetime.now(UTC), entry, entry_id, body.reason,
            form.get("form_id") or new_form_id(), location_id,
        )  # fmt: skip
    except ApiError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _card(page, location_id, item_id, refusal(exc, page.t), entry_id, "")
    except FormErrors as exc:
        return await _card(page, location_id, item_id, exc, entry_id, "")
    where = urlencode({"location_id": location_id, "item_id": item_id, "done": "void"})
    return RedirectResponse(f"/operator/card?{where}", status_code=303)


@router.get("/arrivals")
async def arrivals_page(page: Operator, done: str = "", after: str | None = None) -> Response:
    """Transfers on their way to my warehouses, each with a form to record what arrived,
    ARRIVAL_ROWS at a time."""
    return await _arrivals(page, {}, None, done, after)


async def _arrivals(
    page: Page, errors: dict[str, str], failed: str | None, done: str, after: str | None = None
) -> Response:
    assert page.user is not None
    own = await reference(page)
    mine = [loc["location_id"] for loc in own["own"]]
    moving = await inventory.transfers(
        page.services, page.user, "in_transit", Paging(ARRIVAL_ROWS, after), arriving_at=mine
    )
    incoming = [answers.transfer_public(tr) for tr in moving.items]
    status = 422 if errors else 200
    return page.render(
        "operator/arrivals.html", status, transfers=incoming, errors=errors,
        failed=failed, done=done, more=more_url("/operator/arrivals", moving.next), **own,
    )  # fmt: skip


@router.post("/arrivals/{transfer_id}")
async def record_arrival(page: Operator, transfer_id: str) -> Response:
    """Record what arrived of a transfer; a shortfall becomes a discrepancy."""
    assert page.user is not None
    form = await page.form()
    items = [k.removeprefix("received:") for k in form if k.startswith("received:")]
    lines = [{"item_id": i, "quantity": integer(form[f"received:{i}"])} for i in items]
    try:
        body = parse(TransferReceiptCreate, {"lines": lines}, page.t)
        arrived = [(line.item_id, line.quantity) for line in body.lines]
        now = datetime.now(UTC)
        await stock.receive_transfer(page.services, page.user, now, transfer_id, arrived)
    except ApiError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _arrivals(page, refusal(exc, page.t).errors, transfer_id, "")
    except FormErrors as exc:
        return await _arrivals(page, exc.errors, transfer_id, "")
    return RedirectResponse("/operator/arrivals?done=arrival", status_code=303)


@router.get("/{kind}")
async def movement_form(page: Operator, kind: str) -> Response:
    """The form of one movement: receipt, transfer, adjustment or count."""
    return await _movement(page, kind, {"form_id": new_form_id()}, {}, 200)


async def _movement(
    page: Page,
    kind: str,
    values: dict[str, str],
    errors: dict[str, str],
    status: int,
    preview: dict[str, Any] | None = None,
) -> Response:
    movement = MOVEMENTS.get(kind)
    if movement is None:
        raise NotFound(f"no page {kind!r}")
    ref = await reference(page)
    notes = await _kits_possible(page, ref) if kind == "assembly" else []
    return page.render(
        "form.html", status, tabs="operator/_tabs.html", action=f"/operator/{kind}",
        spec=movement, values=values, errors=errors, choices=choices(ref, page.t), notes=notes,
        previewable=kind == "assembly", preview=preview, names=ref["names"],
    )  # fmt: skip


async def _previewed(page: Page, form: dict[str, str]) -> Response:
    """The assembly form again, as filled in, with the lots it would take (or why not):
    posted, so that the form's CSRF token never travels in a URL."""
    assert page.user is not None
    try:
        found = await assembly_preview(form, page.services, page.user, page.t)
    except FormErrors as exc:
        return await _movement(page, "assembly", form, exc.errors, exc.status)
    except ApiError as exc:
        if isinstance(exc, NotFound):
            raise
        error = refusal(exc, page.t)
        return await _movement(page, "assembly", form, error.errors, error.status)
    return await _movement(page, "assembly", form, {}, 200, preview=found)


async def _kits_possible(page: Page, ref: dict[str, Any]) -> list[str]:
    """ "Can make N" per warehouse and kit, beside the assembly form."""
    assert page.user is not None
    today = datetime.now(UTC).date()
    found, _ = await kits.kits_possible(page.services, page.user, today)
    name = ref["names"].get
    return [
        page.t(
            "assembly.possible",
            kit=name(r["kit_item_id"], r["kit_item_id"]),
            location=name(r["location_id"], r["location_id"]),
            possible=page.t.number(r["possible"]),
            component=name(r["limited_by"], r["limited_by"]),
        )
        for r in found.items
    ]


def _retry(form: dict[str, str]) -> dict[str, str]:
    """A corrected form is a new request: a refused id keeps its first answer."""
    return form | {"form_id": new_form_id()}


@router.post("/{kind}")
async def record_movement(page: Operator, kind: str) -> Response:
    """Send the movement to the API; a refusal comes back next to its field."""
    assert page.user is not None
    movement = MOVEMENTS.get(kind)
    if movement is None:
        raise NotFound(f"no page {kind!r}")
    form = await page.form()
    if kind == "assembly" and form.get("preview"):
        return await _previewed(page, form)
    try:
        await movement.send(form, page.services, page.user, page.t)
    except FormErrors as exc:
        return await _movement(page, kind, _retry(form), exc.errors, exc.status)
    except ApiError as exc:
        if isinstance(exc, NotFound):
            raise
        error = refusal(exc, page.t)
        return await _movement(page, kind, _retry(form), error.errors, error.status)
    location = form.get("location_id", "")
    return RedirectResponse(f"/operator?location_id={location}&done={kind}", status_code=303)
