"""The admin's desk for reference data: locations (with coordinates), items, kits, donors and
low-stock thresholds, each listed a page at a time with a form to add or change one.

Every form calls the same use case as the JSON API, so each change is an event recorded with
its actor; a refusal comes back next to its field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Response
from fastapi.responses import RedirectResponse

from api.errors import ApiError, NotFound, status_of
from api.routing import Router
from api.ui.forms import FormErrors, refusal
from api.ui.pages import admin_kits
from api.ui.pages.admin_forms import FORMS, choices, new_form_id
from api.ui.web import Page, PageRoute, more_url, section
from projections.paging import EVERYTHING, Paging
from services.app import inventory, kits, reference, relief

router = Router(prefix="/admin", route_class=PageRoute, include_in_schema=False)
Admin = Annotated[Page, Depends(section("admin"))]
PAGE_ROWS = 50


@router.get("")
async def desk(page: Admin) -> Response:
    """The desk opens on its locations."""
    return RedirectResponse("/admin/locations", status_code=303)


async def names(page: Page) -> dict[str, Any]:
    """Every location and item, and their names by id."""
    assert page.user is not None
    places = (await reference.list_locations(page.services, page.user, EVERYTHING)).items
    goods = (await reference.list_items(page.services, page.user, EVERYTHING)).items
    named = {p["location_id"]: p["name"] for p in places} | {i["item_id"]: i["name"] for i in goods}
    return {"locations": places, "items": goods, "names": named}


@router.get("/locations")
async def locations_page(page: Admin, after: str | None = None, done: str = "") -> Response:
    """Warehouses and sites with their admin areas and coordinates, 50 at a time."""
    assert page.user is not None
    found = await reference.list_locations(page.services, page.user, Paging(PAGE_ROWS, after))
    more = more_url("/admin/locations", found.next)
    return page.render("admin/locations.html", rows=found.items, more=more, done=done)


@router.get("/items")
async def items_page(page: Admin, after: str | None = None, done: str = "") -> Response:
    """Items with their unit, pack size, weight and volume, 50 at a time."""
    assert page.user is not None
    found = await reference.list_items(page.services, page.user, Paging(PAGE_ROWS, after))
    more = more_url("/admin/items", found.next)
    return page.render("admin/items.html", rows=found.items, more=more, done=done)


@router.get("/kits")
async def kits_page(page: Admin, after: str | None = None, done: str = "") -> Response:
    """Kits with their current composition, 50 at a time."""
    assert page.user is not None
    found = await kits.compositions(page.services, page.user, Paging(PAGE_ROWS, after))
    more = more_url("/admin/kits", found.next)
    named = (await names(page))["names"]
    return page.render("admin/kits.html", rows=found.items, names=named, more=more, done=done)


@router.get("/donors")
async def donors_page(page: Admin, after: str | None = None, done: str = "") -> Response:
    """Donors, 50 at a time."""
    assert page.user is not None
    found = await relief.list_donors(page.services, page.user, Paging(PAGE_ROWS, after))
    more = more_url("/admin/donors", found.next)
    return page.render("admin/donors.html", rows=found.items, more=more, done=done)


@router.get("/thresholds")
async def thresholds_page(page: Admin, after: str | None = None, done: str = "") -> Response:
    """Low-stock thresholds by location and item, with what is on hand, 50 at a time."""
    assert page.user is not None
    found = await inventory.thresholds(page.services, page.user, Paging(PAGE_ROWS, after))
    more = more_url("/admin/thresholds", found.next)
    named = (await names(page))["names"]
    return page.render("admin/thresholds.html", rows=found.items, names=named, more=more, done=done)


# ---- the forms --------------------------------------------------------------------------------


async def _form(
    page: Page,
    kind: str,
    action: str,
    values: dict[str, Any],
    errors: FormErrors | None = None,
    notes: tuple[str, ...] = (),
) -> Response:
    status = errors.status if errors else 200
    return page.render(
        "form.html", status, tabs="admin/_tabs.html", action=action, spec=FORMS[kind],
        values=values, errors=errors.errors if errors else {},
        choices=choices(await names(page), page.t), notes=notes,
    )  # fmt: skip


async def _submit(
    page: Page, kind: str, action: str, back: str, given: dict[str, str] | None = None
) -> Response:
    """Send the form to its use case; a refusal comes back next to its field."""
    assert page.user is not None
    form: dict[str, Any] = dict(await page.form()) | (given or {})
    try:
        await FORMS[kind].send(form, page.services, page.user, page.t)
    except FormErrors as exc:
        return await _form(page, kind, action, form | {"form_id": new_form_id()}, exc)
    except ApiError as exc:
        if status_of(exc) in (403, 404):
            raise
        retry = form | {"form_id": new_form_id()}
        return await _form(page, kind, action, retry, refusal(exc, page.t))
    return RedirectResponse(f"{back}?done={kind}", status_code=303)


@router.get("/locations/new")
async def new_location(page: Admin) -> Response:
    """The form to register a warehouse or a site (its coordinates optional)."""
    return await _form(page, "location", "/admin/locations/new", {})


@router.post("/locations/new")
async def register_location(page: Admin) -> Response:
    """Register the location."""
    return await _submit(page, "location", "/admin/locations/new", "/admin/locations")


@router.get("/locations/{location_id}/coordinates")
async def coordinates_form(page: Admin, location_id: str) -> Response:
    """The form to say where a location lies, filled with what is known."""
    assert page.user is not None
    place = await reference.location(page.services, page.user, location_id)
    values = {k: "" if place[k] is None else str(place[k]) for k in ("latitude", "longitude")}
    action = f"/admin/locations/{location_id}/coordinates"
    note = page.t("admin.coordinates.of", name=place["name"], id=location_id)
    return await _form(page, "coordinates", action, values | {"form_id": new_form_id()},
                       notes=(note,))  # fmt: skip


@router.post("/locations/{location_id}/coordinates")
async def set_coordinates(page: Admin, location_id: str) -> Response:
    """Record the location's coordinates."""
    assert page.user is not None
    await reference.location(page.services, page.user, location_id)  # 404 when unknown
    action = f"/admin/locations/{location_id}/coordinates"
    return await _submit(page, "coordinates", action, "/admin/locations",
                         {"location_id": location_id})  # fmt: skip


@router.get("/items/new")
async def new_item(page: Admin) -> Response:
    """The form to define an item."""
    return await _form(page, "item", "/admin/items/new", {})


@router.post("/items/new")
async def define_item(page: Admin) -> Response:
    """Define the item."""
    return await _submit(page, "item", "/admin/items/new", "/admin/items")


@router.get("/donors/new")
async def new_donor(page: Admin) -> Response:
    """The form to register a donor."""
    return await _form(page, "donor", "/admin/donors/new", {})


@router.post("/donors/new")
async def register_donor(page: Admin) -> Response:
    """Register the donor."""
    return await _submit(page, "donor", "/admin/donors/new", "/admin/donors")


@router.get("/thresholds/new")
async def new_threshold(page: Admin, location_id: str = "", item_id: str = "") -> Response:
    """The form to set a low-stock threshold (for a location × item, when named)."""
    values = {"location_id": location_id, "item_id": item_id, "form_id": new_form_id()}
    return await _form(page, "threshold", "/admin/thresholds/new", values)


@router.post("/thresholds/new")
async def set_threshold(page: Admin) -> Response:
    """Set the threshold; the location's writer records it."""
    return await _submit(page, "threshold", "/admin/thresholds/new", "/admin/thresholds")


@router.get("/kits/new")
async def new_composition(page: Admin, kit_item_id: str = "") -> Response:
    """The form to set a kit's composition, filled with its current one when it has one."""
    assert page.user is not None
    current: list[dict[str, Any]] = []
    if kit_item_id:
        try:
            current = (await kits.composition(page.services, page.user, kit_item_id))["components"]
        except NotFound:
            current = []
    values = admin_kits.values_of(kit_item_id, current)
    return page.render("admin/kit_form.html", **await admin_kits.context(page, values))


@router.post("/kits/new")
async def set_composition(page: Admin) -> Response:
    """Record a new version of the kit's composition (the same one again records nothing)."""
    assert page.user is not None
    form = await page.form()
    try:
        await admin_kits.send(form, page.services, page.user, page.t)
    except FormErrors as exc:
        return await admin_kits.again(page, form, exc)
    except ApiError as exc:
        if status_of(exc) in (403, 404):
            raise
        return await admin_kits.again(page, form, admin_kits.refused(exc, page.t))
    return RedirectResponse("/admin/kits?done=kit", status_code=303)
