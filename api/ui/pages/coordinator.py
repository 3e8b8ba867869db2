"""The crisis coordinator: operations and convoys, campaign coverage, alerts, duplicates, CSV."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Response
from fastapi.responses import RedirectResponse

from api import answers
from api.errors import ApiError, Forbidden, NotFound, status_of
from api.routing import Router
from api.schemas.households import CampaignAreas, CampaignClosing, CampaignExtension
from api.schemas.relief import Delivery, OperationClosing
from api.ui.forms import FormErrors, compact, integer, parse, refusal
from api.ui.i18n import Translator
from api.ui.pages.relief_forms import FORM_PERMISSIONS, FORMS, choices, new_convoy_id
from api.ui.web import Page, PageRoute, section
from projections.paging import Paging
from services.app import (
    campaigns,
    deployments,
    distributions,
    inventory,
    kits,
    names,
    relief,
    reports,
    social_watch,
)
from services.domain.reference.decider import (
    ChangeCampaignAreas,
    CloseCampaign,
    CloseOperation,
    ExtendCampaign,
)

router = Router(prefix="/coordinator", route_class=PageRoute, include_in_schema=False)
Coordinator = Annotated[Page, Depends(section("coordinator"))]
REPORTS = ("4w", "distributions", "stock")


@router.get("")
async def board_page(
    page: Coordinator,
    operation_id: str | None = None,
    done: str = "",
    failed: str = "",
    board_after: str | None = None,
    alerts_after: str | None = None,
    duplicates_after: str | None = None,
) -> Response:
    """Operations and the deployments board, open alerts, flagged duplicates, downloads;
    each list a page of PAGE_ROWS, with a link to the next."""
    assert page.user is not None
    services, user, now = page.services, page.user, datetime.now(UTC)
    operations = (await relief.list_operations(services, user)).items
    chosen = operation_id or (operations[0]["operation_id"] if operations else None)
    board = await deployments.deployment_board(
        services, user, now, chosen, Paging(PAGE_ROWS, board_after)
    )
    found = await inventory.alerts(
        services, user, now.date(), None, Paging(PAGE_ROWS, alerts_after)
    )
    duplicates = await distributions.flagged_duplicates(
        services, user, None, Paging(PAGE_ROWS, duplicates_after)
    )
    ref = await reference(page)
    names = {p["location_id"]: p["name"] for p in ref["locations"]}
    names |= {i["item_id"]: i["name"] for i in ref["items"]}
    here = {"operation_id": chosen} if chosen else {}
    operation = next((op for op in operations if op["operation_id"] == chosen), None)
    return page.render(
        "coordinator/board.html", operations=operations, chosen=chosen, operation=operation,
        board=[answers.deployment_public(r) for r in board.items],
        alerts=[answers.alert(a) for a in found.items],
        duplicates=[answers.flagged_duplicate(r) for r in duplicates.items], reports=REPORTS,
        done=done, failed=failed, names=names, form_id=new_convoy_id(),
        more={name: _next_page(here, f"{name}_after", listed.next)
              for name, listed in (("board", board), ("alerts", found),
                                   ("duplicates", duplicates))},
    )  # fmt: skip


PAGE_ROWS = 50


def _next_page(here: dict[str, str], name: str, cursor: str | None) -> str | None:
    """The board with one list moved on to its next page, or None on its last page."""
    return f"/coordinator?{urlencode(here | {name: cursor})}" if cursor else None


async def reference(page: Page) -> dict[str, Any]:
    return {
        "locations": await names.locations(page.services),
        "items": await names.items(page.services),
        "operations": await names.operations(page.services),
    }


@router.get("/new/{kind}")
async def new_form(page: Coordinator, kind: str) -> Response:
    """The form to open an operation or a campaign, or to plan a convoy."""
    return await _form(page, kind, {"form_id": new_convoy_id()}, {}, 200)


async def _form(
    page: Page, kind: str, values: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    spec = FORMS.get(kind)
    if spec is None:
        raise NotFound(f"no page {kind!r}")
    if not page.may(FORM_PERMISSIONS[kind]):
        raise Forbidden(f"the {kind} form is not open to your role")
    return page.render(
        "form.html", status, tabs="coordinator/_tabs.html", action=f"/coordinator/new/{kind}",
        spec=spec, values=values, errors=errors, choices=choices(await reference(page), page.t),
    )  # fmt: skip


@router.post("/new/{kind}")
async def submit_form(page: Coordinator, kind: str) -> Response:
    """Send the form to the API; a refusal comes back next to its field."""
    assert page.user is not None
    spec = FORMS.get(kind)
    if spec is None:
        raise NotFound(f"no page {kind!r}")
    if not page.may(FORM_PERMISSIONS[kind]):
        raise Forbidden(f"the {kind} form is not open to your role")
    form: dict[str, Any] = dict(await page.form())
    form["region_codes"] = await page.chosen("region_codes")
    try:
        await spec.send(form, page.services, page.user, page.t)
    except FormErrors as exc:
        return await _form(page, kind, form | {"form_id": new_convoy_id()}, exc.errors, exc.status)
    except ApiError as exc:
        if status_of(exc) == 403:
            raise
        error = refusal(exc, page.t)
        retry = form | {"form_id": new_convoy_id()}
        return await _form(page, kind, retry, error.errors, error.status)
    if kind == "campaign":
        return RedirectResponse(f"/coordinator/coverage?campaign_id={form['id']}", 303)
    operation = form.get("id") if kind == "operation" else form.get("operation_id")
    return RedirectResponse(f"/coordinator?operation_id={operation}&done={kind}", 303)


@router.post("/operations/{operation_id}/close")
async def close_operation(page: Coordinator, operation_id: str) -> Response:
    """Close the operation: no convoy is planned for it afterwards."""
    assert page.user is not None
    form = await page.form()
    target = f"/coordinator?{urlencode({'operation_id': operation_id})}"
    try:
        closing = parse(OperationClosing, compact({"reason": form.get("reason")}), page.t)
        close = CloseOperation(operation_id=operation_id, reason=closing.reason)
        command_id = form.get("form_id") or new_convoy_id()
        await relief.close_operation(page.services, page.user, datetime.now(UTC), close, command_id)
    except FormErrors as exc:
        words = " ".join(exc.errors.values())
        return page.render("coordinator/refused.html", exc.status, words=words, back=target)
    except ApiError as exc:
        if status_of(exc) in (403, 404):
            raise
        words = " ".join(refusal(exc, page.t).errors.values())
        return page.render("coordinator/refused.html", status_of(exc), words=words, back=target)
    return RedirectResponse(f"{target}&done=operation_close", status_code=303)


@router.post("/deployments/{deployment_id}/{step}")
async def move_deployment(page: Coordinator, deployment_id: str, step: str) -> Response:
    """Dispatch, deliver (what arrived of each line, by default what was dispatched), close
    or cancel a convoy from the board."""
    assert page.user is not None
    form = await page.form()
    services, user, now = page.services, page.user, datetime.now(UTC)
    target = f"/coordinator?operation_id={form.get('operation_id', '')}"
    try:
        if step == "dispatch":
            await deployments.dispatch_deployment(services, user, now, deployment_id)
        elif step == "cancel":
            await deployments.cancel_deployment(services, user, now, deployment_id)
        elif step == "close":
            await deployments.close_deployment(services, user, now, deployment_id)
        elif step == "deliver" and (arrived := _arrived(form, page.t)):
            await deployments.deliver_deployment(services, user, now, deployment_id, arrived)
        elif step == "deliver":
            await deployments.deliver_as_dispatched(services, user, now, deployment_id)
        else:
            raise NotFound(f"no step {step!r}")
    except FormErrors as exc:
        words = " ".join(exc.errors.values())
        return page.render("coordinator/refused.html", exc.status, words=words, back=target)
    except ApiError as exc:
        if status_of(exc) in (403, 404):
            raise
        words = " ".join(refusal(exc, page.t).errors.values())
        return page.render("coordinator/refused.html", status_of(exc), words=words, back=target)
    return RedirectResponse(f"{target}&done={step}", status_code=303)


def _arrived(form: dict[str, str], t: Translator) -> list[tuple[str, int]]:
    """The quantities the delivery form says arrived, per item (a shortfall is missing);
    none when the form has no line (then everything dispatched arrived)."""
    lines = [
        {"item_id": key.removeprefix("received:"), "quantity": integer(value)}
        for key, value in form.items()
        if key.startswith("received:")
    ]
    if not lines:
        return []
    body = parse(Delivery, {"lines": lines}, t)
    return [(line.item_id, line.quantity) for line in body.lines]


def by_region(areas: list[Any]) -> list[dict[str, Any]]:
    totals: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"eligible_households": 0, "reached_households": 0, "quantity": 0}
    )
    for area in areas:
        row = totals[area.region_code]
        for key in row:
            row[key] += getattr(area, key)
    return [{"region_code": code, **row} for code, row in sorted(totals.items())]


@router.get("/coverage")
async def coverage_page(
    page: Coordinator, campaign_id: str | None = None, done: str = ""
) -> Response:
    """Targeted versus reached households by region and province: a chart and a table; the
    campaign's dates, with forms to extend or close it."""
    return await _coverage(page, campaign_id, done, FormErrors({}, 200))


async def _coverage(page: Page, campaign_id: str | None, done: str, errors: FormErrors) -> Response:
    assert page.user is not None
    all_campaigns = await names.campaigns(page.services)
    chosen = campaign_id or (all_campaigns[0]["campaign_id"] if all_campaigns else None)
    found = None
    if chosen:
        counted = await campaigns.coverage(page.services, page.user, chosen)
        found = answers.coverage(chosen, counted)
    regions, provinces = await names.area_names(page.services)
    campaign = next((c for c in all_campaigns if c["campaign_id"] == chosen), None)
    return page.render(
        "coordinator/coverage.html", errors.status, campaigns=all_campaigns, chosen=chosen,
        campaign=campaign, coverage=found,
        regions_total=by_region(found.by_area) if found else [], regions=regions,
        provinces=provinces, done=done, errors=errors.errors, form_id=new_convoy_id(),
    )  # fmt: skip


@router.post("/campaigns/{campaign_id}/{step}")
async def change_campaign(page: Coordinator, campaign_id: str, step: str) -> Response:
    """Extend a campaign to a later day, close it today, or move it to other regions."""
    assert page.user is not None
    form = await page.form()
    now, command_id = datetime.now(UTC), form.get("form_id") or new_convoy_id()
    try:
        if step == "extend":
            body = parse(CampaignExtension, {k: form.get(k) for k in ("ends_on", "reason")}, page.t)
            extend = ExtendCampaign(campaign_id=campaign_id, **body.model_dump())
            await campaigns.change_campaign(page.services, page.user, now, extend, command_id)
        elif step == "close":
            closing = parse(CampaignClosing, {"reason": form.get("reason")}, page.t)
            close = CloseCampaign(campaign_id=campaign_id, reason=closing.reason)
            await campaigns.change_campaign(page.services, page.user, now, close, command_id)
        elif step == "areas":
            chosen = {
                "region_codes": await page.chosen("region_codes"),
                "reason": form.get("reason"),
            }
            areas = parse(CampaignAreas, chosen, page.t)
            move = ChangeCampaignAreas(campaign_id=campaign_id, **areas.model_dump())
            await campaigns.change_campaign(page.services, page.user, now, move, command_id)
        else:
            raise NotFound(f"no page {step!r}")
    except FormErrors as exc:
        return await _coverage(page, campaign_id, "", exc)
    except ApiError as exc:
        if status_of(exc) in (403, 404):
            raise
        return await _coverage(page, campaign_id, "", refusal(exc, page.t))
    where = urlencode({"campaign_id": campaign_id, "done": f"campaign_{step}"})
    return RedirectResponse(f"/coordinator/coverage?{where}", 303)


@router.get("/kits")
async def kits_page(page: Coordinator) -> Response:
    """Kits (food baskets) per warehouse: already assembled, and how many more the stock
    makes; beside the running campaigns that give them, what is still due and the shortfall."""
    assert page.user is not None
    today = datetime.now(UTC).date()
    found, totals = await kits.kits_possible(page.services, page.user, today)
    needs = await kits.campaign_needs(page.services, page.user, today)
    ref = await reference(page)
    names = {loc["location_id"]: loc["name"] for loc in ref["locations"]}
    names |= {item["item_id"]: item["name"] for item in ref["items"]}
    return page.render(
        "coordinator/kits.html", rows=found.items, totals=totals, needs=needs, names=names
    )


@router.get("/reports/{name}.csv")
async def report(
    page: Coordinator, name: str, operation_id: str | None = None, campaign_id: str | None = None
) -> Response:
    """The HXL CSV reports, downloaded with the session instead of a token."""
    assert page.user is not None
    services, user = page.services, page.user
    if name == "4w":
        return answers.hxl_csv(await reports.four_w(services, user, operation_id, campaign_id))
    if name == "distributions":
        return answers.hxl_csv(await reports.distributions_report(services, user, campaign_id))
    if name == "stock":
        return answers.hxl_csv(await reports.stock_report(services, user))
    if name == "social-watch":
        table = await social_watch.social_watch_report(services, user, campaign_id)
        return answers.hxl_csv(table)
    raise NotFound(f"no report {name!r}")
