"""The registration desk, for whoever registers households (social workers, agents,
coordinators, admins): find a household by national ID, registry number or household id,
register one, assess its situation again, and print its card. The same use cases as
`/v1/households`: a duplicate is refused naming the household already registered, and a
household shows what the API shows this role. Identifiers travel only in posted forms, and
the page that answers a lookup never repeats the identifier typed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Response

from api import requests
from api.errors import ApiError, NotFound, status_of
from api.routing import Router
from api.schemas.households import Lookup
from api.ui.forms import FormErrors, compact, parse, refusal
from api.ui.pages.desk_forms import (
    CHOICES,
    MEMBER_FIELDS,
    MEMBER_ROWS,
    member_rows,
    on_rows,
    profile_change,
    profile_values,
    registration,
)
from api.ui.web import Page, PageRoute, section
from services.app import households, reference
from services.domain.privacy import normalise_identifier

router = Router(prefix="/desk", route_class=PageRoute, include_in_schema=False)
Desk = Annotated[Page, Depends(section("desk"))]
LOOKUP_FIELDS = ("national_id", "registry_number", "household_id")


async def _render(page: Page, status: int = 200, **values: Any) -> Response:
    """The desk: the lookup, then the household found with its profile form, or the form to
    register one."""
    assert page.user is not None
    places = (await reference.list_locations(page.services, page.user)).items
    regions = sorted({(p["region_code"], p["region_name"]) for p in places})
    provinces = sorted({(p["province_code"], p["province_name"] or p["province_code"])
                        for p in places if p.get("province_code")})  # fmt: skip
    # the sites a household may be expected at: for a role scoped to sites, its own
    sites = [
        p
        for p in places
        if p["kind"] == "site" and (not page.user.sites or p["location_id"] in page.user.sites)
    ]
    return page.render(
        "desk.html", status, regions=regions, provinces=provinces, region_names=dict(regions),
        province_names=dict(provinces), sites=sites,
        site_names={p["location_id"]: p["name"] for p in places},
        choices=CHOICES, member_fields=MEMBER_FIELDS, rows=range(MEMBER_ROWS),
        form_id=str(uuid.uuid4()),
        **{"found": None, "values": {}, "errors": {}, "lookup_errors": {}, "done": ""} | values,
    )  # fmt: skip


async def _posted(page: Page) -> dict[str, Any]:
    return await page.form() | {"groups": await page.chosen("groups")}


def _refused(exc: ApiError, page: Page, values: dict[str, Any]) -> FormErrors:
    """A refusal next to its field; a move beyond the user's regions next to the region;
    an unknown household answers as a page."""
    status = status_of(exc)
    if status == 404:
        raise exc
    if status == 403:
        return FormErrors({"region_code": page.t("desk.region_beyond")}, status)
    error = refusal(exc, page.t)
    _, rows, _ = member_rows(values, page.t)
    return FormErrors(on_rows(error.errors, rows), error.status)


@router.get("")
async def desk_page(page: Desk) -> Response:
    """The lookup and the registration form."""
    return await _render(page)


@router.post("/lookup")
async def lookup(page: Desk) -> Response:
    """The household behind one identifier: its anonymous profile (and the head's name for
    the roles the API shows it to), with its profile form."""
    assert page.user is not None
    form = await page.form()
    asked = {name: form.get(name, "")[:64] for name in LOOKUP_FIELDS}
    if sum(bool(v) for v in asked.values()) != 1:
        return await _render(page, 422, lookup_errors={"": page.t("desk.one_identifier")})
    try:
        if asked["household_id"]:
            found = await households.get_household(page.services, page.user, asked["household_id"])
        else:
            typed = {"national_id": normalise_identifier(asked["national_id"]),
                     "registry_number": asked["registry_number"]}  # fmt: skip
            body = parse(Lookup, compact(typed), page.t)
            found = await households.lookup_household(
                page.services, page.user, body.national_id, body.registry_number
            )
    except FormErrors as exc:
        return await _render(page, exc.status, lookup_errors=exc.errors)
    except NotFound:
        return await _render(page, 404, lookup_errors={"": page.t("desk.not_found")})
    return await _render(page, found=found, values=profile_values(found))


@router.post("/register")
async def register(page: Desk) -> Response:
    """Register the household of the form; the same person again is refused, naming the
    household they are registered in."""
    assert page.user is not None
    values = await _posted(page)
    try:
        body = registration(values, page.t)
        household = requests.household(body, body.id or str(uuid.uuid4()))
        now = datetime.now(UTC)
        shown, _ = await households.register_household(page.services, page.user, now, household)
    except FormErrors as exc:
        return await _render(page, exc.status, values=values, errors=exc.errors)
    except ApiError as exc:
        error = _refused(exc, page, values)
        return await _render(page, error.status, values=values, errors=error.errors)
    return await _render(page, found=shown, values=profile_values(shown), done="desk_registered")


@router.post("/profile")
async def update_profile(page: Desk) -> Response:
    """Record the household's situation assessed again: the whole profile replaces the old;
    the name, phone and notes left blank stay as they are."""
    assert page.user is not None
    values = await _posted(page)
    household_id = str(values.get("household_id", ""))[:64]
    found = await households.get_household(page.services, page.user, household_id)
    try:
        change = requests.profile_update(profile_change(values, page.t), household_id)
        client_id = f"{household_id}:{values.get('form_id') or uuid.uuid4()}"
        now = datetime.now(UTC)
        shown, _ = await households.update_profile(page.services, page.user, now, change, client_id)
    except FormErrors as exc:
        return await _render(page, exc.status, found=found, values=values, errors=exc.errors)
    except ApiError as exc:
        error = _refused(exc, page, values)
        return await _render(page, error.status, found=found, values=values, errors=error.errors)
    return await _render(page, found=shown, values=profile_values(shown), done="desk_updated")
