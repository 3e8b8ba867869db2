"""The admin's users: every user with role and scopes, and a form to create one; one user's
page to change their scopes, give them new credentials (a token is shown once, on the page
that made it) or revoke them after a confirmation. The same use cases as `/v1/users`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Response
from fastapi.responses import RedirectResponse

from api import answers
from api.errors import ApiError, status_of
from api.permissions import ROLES
from api.routing import Router
from api.schemas.users import CredentialsReset, UserCreate, UserScopes
from api.ui.forms import FormErrors, compact, parse, refusal
from api.ui.web import Page, PageRoute, section
from projections.paging import Paging
from services.app import reference, relief, users
from services.app.users import NewUser, Scopes
from services.domain.users.scopes import NAMES, SCOPE_OF_ROLE

router = Router(prefix="/admin/users", route_class=PageRoute, include_in_schema=False)
Admin = Annotated[Page, Depends(section("admin"))]
PAGE_ROWS = 50


async def _choices(page: Page) -> dict[str, list[tuple[str, str]]]:
    """What each select offers: roles, and the warehouses, sites and donors by name."""
    assert page.user is not None
    locations = (await reference.list_locations(page.services, page.user)).items
    donors = (await relief.list_donors(page.services, page.user)).items
    return {
        "role": [(role, page.t(f"role.{role}")) for role in ROLES],
        "warehouses": [(loc["location_id"], loc["name"]) for loc in locations
                       if loc["kind"] == "warehouse"],
        "sites": [(loc["location_id"], loc["name"]) for loc in locations if loc["kind"] == "site"],
        "donors": [(d["donor_id"], d["name"]) for d in donors],
    }  # fmt: skip


async def _render(page: Page, template: str, status: int = 200, **values: Any) -> Response:
    choices = await _choices(page)
    names = {key: name for scope in NAMES for key, name in choices[scope]}
    return page.render(
        template, status, choices=choices, names=names, scope_names=NAMES,
        form_id=str(uuid.uuid4()), **{"errors": {}, "values": {}, "done": ""} | values,
    )  # fmt: skip


async def _list(page: Page, after: str | None = None, status: int = 200, **values: Any) -> Response:
    assert page.user is not None
    found = await users.list_users(page.services, page.user, Paging(PAGE_ROWS, after))
    more = f"/admin/users?{urlencode({'after': found.next})}" if found.next else None
    listed = [answers.user_public(row) for row in found.items]
    return await _render(page, "admin/users.html", status, users=listed, more=more, **values)


async def _one(page: Page, username: str, status: int = 200, **values: Any) -> Response:
    assert page.user is not None
    account = answers.user_public(await users.find_user(page.services, page.user, username))
    scope = SCOPE_OF_ROLE.get(account.role)
    return await _render(page, "admin/user.html", status, account=account, scope=scope, **values)


def _refused(exc: ApiError, page: Page) -> FormErrors:
    """A refusal in words next to its field; a 403 or an unknown user answers as a page."""
    if status_of(exc) in (403, 404):
        raise exc
    return refusal(exc, page.t)


@router.get("")
async def users_page(page: Admin, after: str | None = None, done: str = "") -> Response:
    """Every user, 50 at a time, and the form to create one."""
    return await _list(page, after, done=done)


@router.post("")
async def create_user(page: Admin) -> Response:
    """Create a user from the form; the page that follows shows their token, this once."""
    assert page.user is not None
    form = await page.form()
    scopes = {name: await page.chosen(name) for name in NAMES}
    values = {"username": form.get("username"), "role": form.get("role")} | scopes
    try:
        body = parse(UserCreate, compact(values | {"password": form.get("password")}), page.t)
        new = NewUser(body.username, body.role, Scopes(body.warehouses, body.sites, body.donors),
                      body.password)  # fmt: skip
        issued = await users.create_user(page.services, page.user, datetime.now(UTC), new)
    except FormErrors as exc:
        return await _list(page, status=exc.status, values=values, errors=exc.errors)
    except ApiError as exc:
        error = _refused(exc, page)
        return await _list(page, status=error.status, values=values, errors=error.errors)
    shown = {"username": body.username, "token": issued.token}
    return await _list(page, done="user_created", issued=shown)


@router.get("/{username}")
async def user_page(page: Admin, username: str, done: str = "") -> Response:
    """One user: their scopes to change, new credentials to give, a way to revoke them."""
    return await _one(page, username, done=done)


@router.post("/{username}/scopes")
async def change_scopes(page: Admin, username: str) -> Response:
    """Replace the user's scopes with those chosen."""
    assert page.user is not None
    form = await page.form()
    try:
        body = parse(UserScopes, {n: await page.chosen(n) for n in NAMES}, page.t)
        scopes = Scopes(body.warehouses, body.sites, body.donors)
        command_id = form.get("form_id") or str(uuid.uuid4())
        now = datetime.now(UTC)
        await users.change_scopes(page.services, page.user, now, username, scopes, command_id)
    except FormErrors as exc:
        return await _one(page, username, exc.status, errors=exc.errors)
    except ApiError as exc:
        error = _refused(exc, page)
        return await _one(page, username, error.status, errors=error.errors)
    return RedirectResponse(f"/admin/users/{username}?done=user_scopes", status_code=303)


@router.post("/{username}/password")
async def reset_credentials(page: Admin, username: str) -> Response:
    """A new token (shown on the page that follows, this once), a new password, or both."""
    assert page.user is not None
    form = await page.form()
    asked = compact({"password": form.get("password"), "new_token": form.get("new_token") == "yes"})
    try:
        body = parse(CredentialsReset, asked, page.t)
        issued = await users.reset_credentials(
            page.services, page.user, datetime.now(UTC), username,
            form.get("form_id") or str(uuid.uuid4()), password=body.password,
            new_token=body.new_token,
        )  # fmt: skip
    except FormErrors as exc:
        return await _one(page, username, exc.status, errors=exc.errors)
    except ApiError as exc:
        error = _refused(exc, page)
        return await _one(page, username, error.status, errors=error.errors)
    shown = {"username": username, "token": issued.token} if issued.token else None
    return await _one(page, username, done="user_password", issued=shown)


@router.get("/{username}/revoke")
async def confirm_revoke(page: Admin, username: str) -> Response:
    """Ask before revoking: what it does, and a button to do it."""
    return await _one(page, username, confirm=True)


@router.post("/{username}/revoke")
async def revoke_user(page: Admin, username: str) -> Response:
    """Revoke the user (confirmed on the page before): their token and sessions stop."""
    assert page.user is not None
    form = await page.form()
    command_id = form.get("form_id") or str(uuid.uuid4())
    try:
        now = datetime.now(UTC)
        await users.revoke_user(page.services, page.user, now, username, command_id)
    except ApiError as exc:
        error = _refused(exc, page)
        return await _one(page, username, error.status, errors=error.errors)
    return RedirectResponse("/admin/users?done=user_revoked", status_code=303)
