"""Requisitions on the web: a site agent or an operator asks a warehouse for stock and
follows the requests; the coordinator approves (fewer units, perhaps), rejects or closes
short. The same use cases as `/v1/requisitions`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Response
from fastapi.responses import RedirectResponse

from api.auth import User
from api.deps import Services
from api.errors import ApiError, NotFound, status_of
from api.permissions import grant
from api.routing import Router
from api.schemas.requisitions import Approval, Closure, Rejection, RequisitionCreate
from api.ui.forms import Field, FormErrors, FormSpec, compact, integer, parse, refusal
from api.ui.i18n import Translator
from api.ui.pages.relief_forms import LINE_ROWS, convoy_lines
from api.ui.pages.stock_forms import new_form_id
from api.ui.web import Page, PageRoute, more_url, section
from events.requisitions import RequisitionLine
from projections.paging import Paging
from services.app import names, requisitions
from services.domain.requisitions.commands import RaiseRequisition

ROWS = 50
DECIDABLE = ("raised", "dispatch_refused")
CLOSABLE = ("approved", "dispatch_refused", "dispatched", "received")


Requester = Annotated[Page, Depends(section("requisitions"))]
Coordinator = Annotated[Page, Depends(section("coordinator"))]


async def reference(page: Page) -> dict[str, Any]:
    """Names, the locations the user asks for, the warehouses, the items, the operations open
    to a convoy."""
    assert page.user is not None
    user = page.user
    locations = await names.locations(page.services)
    items = await names.items(page.services)
    operations = await names.operations(page.services)
    scope = grant(user.role, "requisitions.write")
    mine = user.locations_for(scope) if scope else frozenset()
    return {
        "names": {p["location_id"]: p["name"] for p in locations}
        | {i["item_id"]: i["name"] for i in items}
        | {op["operation_id"]: op["name"] for op in operations},
        "open_operations": [(op["operation_id"], op["name"]) for op in operations
                            if not op.get("closed_on")],
        "choices": {
            "requesting_location_id": [(p["location_id"], p["name"]) for p in locations
                                       if mine is None or p["location_id"] in mine],
            "supplying_location_id": [(p["location_id"], p["name"]) for p in locations
                                      if p["kind"] == "warehouse"],
            "item_id": [(i["item_id"], f"{i['name']} ({i['unit']})") for i in items],
        },
    }  # fmt: skip


async def _listed(page: Page, path: str, after: str | None) -> dict[str, Any]:
    assert page.user is not None
    found = await requisitions.requisitions(page.services, page.user, None, Paging(ROWS, after))
    return {"rows": found.items, "more": more_url(path, found.next)}


# ---- the requesting location ------------------------------------------------------------------

requests_router = Router(prefix="/requisitions", route_class=PageRoute, include_in_schema=False)


@requests_router.get("")
async def requests_page(page: Requester, done: str = "", after: str | None = None) -> Response:
    """The requisitions of my locations: asked, approved, dispatched, received."""
    listed = await _listed(page, "/requisitions", after)
    ref = await reference(page)
    return page.render("requisitions/list.html", done=done, names=ref["names"], **listed)


async def _raise(form: dict[str, Any], services: Services, user: User, t: Translator) -> Any:
    lines, wrong_rows = convoy_lines(form, t)
    try:
        body = parse(RequisitionCreate, compact({
            "id": form.get("form_id"), "lines": lines, "needed_by": form.get("needed_by"),
            "requesting_location_id": form.get("requesting_location_id"),
            "supplying_location_id": form.get("supplying_location_id"),
        }), t)  # fmt: skip
    except FormErrors as exc:
        shown = {k: v for k, v in exc.errors.items() if not (wrong_rows and k == "lines")}
        raise FormErrors(shown | wrong_rows) from None
    if wrong_rows:
        raise FormErrors(wrong_rows)
    command = RaiseRequisition(
        requisition_id=body.id or new_form_id(),
        requesting_location_id=body.requesting_location_id,
        supplying_location_id=body.supplying_location_id,
        lines=[RequisitionLine(**ln.model_dump()) for ln in body.lines],
        needed_by=body.needed_by,
    )
    return await requisitions.raise_requisition(services, user, datetime.now(UTC), command)


REQUEST = FormSpec(
    "requisition.title",
    (
        Field("requesting_location_id", "choice"),
        Field("supplying_location_id", "choice"),
        Field("lines", "lines", rows=LINE_ROWS),
        Field("needed_by", "date"),
    ),
    _raise,
)


async def _form(
    page: Page, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    return page.render(
        "form.html", status, tabs="requisitions/_tabs.html", action="/requisitions/new",
        spec=REQUEST, values=values, errors=errors, choices=(await reference(page))["choices"],
    )  # fmt: skip


@requests_router.get("/new")
async def request_form(
    page: Requester,
    requesting_location_id: str = "",
    item_id: str = "",
    quantity: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The form to ask a warehouse for stock, filled with a site's shortfall when the needs
    page links to it."""
    filled = compact({"requesting_location_id": requesting_location_id, "item_id-0": item_id,
                      "quantity-0": str(quantity) if quantity else None})  # fmt: skip
    return await _form(page, {"form_id": new_form_id()} | filled, {}, 200)


@requests_router.post("/new")
async def raise_requisition(page: Requester) -> Response:
    """Send the request; a refusal comes back next to its field."""
    assert page.user is not None
    form: dict[str, Any] = dict(await page.form())
    try:
        await REQUEST.send(form, page.services, page.user, page.t)
    except FormErrors as exc:
        return await _form(page, form | {"form_id": new_form_id()}, exc.errors, exc.status)
    except ApiError as exc:
        if status_of(exc) == 403:
            raise
        error = refusal(exc, page.t)
        return await _form(page, form | {"form_id": new_form_id()}, error.errors, error.status)
    return RedirectResponse("/requisitions?done=requisition", status_code=303)


# ---- the coordinator's approvals --------------------------------------------------------------

approvals_router = Router(
    prefix="/coordinator/requisitions", route_class=PageRoute, include_in_schema=False
)


@approvals_router.get("")
async def approvals_page(page: Coordinator, done: str = "", after: str | None = None) -> Response:
    """Every requisition, latest first: approve (fewer units of a line, perhaps) or reject
    those waiting, close short those approved; a transfer the warehouse refused says why."""
    return await _approvals(page, done, after, {}, None)


async def _approvals(
    page: Page, done: str, after: str | None, errors: dict[str, str], failed: str | None
) -> Response:
    assert page.user is not None
    listed = await _listed(page, "/coordinator/requisitions", after)
    ref = await reference(page)
    return page.render(
        "coordinator/requisitions.html", 422 if errors else 200, done=done, errors=errors,
        failed=failed, names=ref["names"], operations=ref["open_operations"],
        form_id=new_form_id(), decidable=DECIDABLE,
        closable=CLOSABLE, may_decide=grant(page.user.role, "requisitions.decide") is not None,
        **listed,
    )  # fmt: skip


@approvals_router.post("/{requisition_id}/{step}")
async def decide(page: Coordinator, requisition_id: str, step: str) -> Response:
    """Approve (`approved:<item>` quantities; by convoy with an `operation_id`), reject or
    close short (a reason)."""
    assert page.user is not None
    form = await page.form()
    services, user, now = page.services, page.user, datetime.now(UTC)
    command_id = form.get("form_id") or new_form_id()
    try:
        if step == "approval":
            asked = [(k.removeprefix("approved:"), v) for k, v in form.items()
                     if k.startswith("approved:")]  # fmt: skip
            lines = [{"item_id": i, "quantity": integer(q)} for i, q in asked]
            convoy = compact({"operation_id": form.get("operation_id")})
            body = parse(Approval, {"lines": lines} | convoy, page.t)
            chosen = [(ln.item_id, ln.quantity) for ln in body.lines]
            await requisitions.approve(services, user, now, requisition_id, chosen, command_id,
                                       body.operation_id)  # fmt: skip
        elif step in ("rejection", "closure"):
            said = {"reason": form.get("reason", "")}
            reason = (
                parse(Rejection, said, page.t).reason
                if step == "rejection"
                else parse(Closure, said, page.t).reason
            )
            act = requisitions.reject if step == "rejection" else requisitions.close
            await act(services, user, now, requisition_id, reason, command_id)
        else:
            raise NotFound(f"no step {step!r}")
    except FormErrors as exc:
        return await _approvals(page, "", None, exc.errors, requisition_id)
    except ApiError as exc:
        if status_of(exc) in (403, 404):
            raise
        return await _approvals(page, "", None, refusal(exc, page.t).errors, requisition_id)
    return RedirectResponse(f"/coordinator/requisitions?done={step}", status_code=303)
