"""Sign-in (username and password, or a token), sign-out, the language, the home page."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path

import anyio.to_thread
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.auth import User, find_user, find_user_by_password
from api.deps import Services, client_address
from api.routing import Router
from api.throttle import TooManyAttempts, account_key, client_key
from api.ui import i18n
from api.ui.session import (
    LANG_COOKIE,
    PRESESSION_COOKIE,
    close_session,
    csrf_token,
    end_session,
    open_session,
    set_cookie,
)
from api.ui.web import PageRoute, PublicPage, SignedIn, sections_of

router = Router(route_class=PageRoute, include_in_schema=False)
STATIC = Path(__file__).parent.parent / "static"


def _local(target: str | None) -> str:
    """Only paths of this site are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/")
async def home(page: SignedIn) -> Response:
    """Each role lands on its first section."""
    assert page.user is not None
    sections = sections_of(page.user)
    if not sections:
        return page.render("error.html", 403, status=403, key="error.403", detail="")
    return RedirectResponse(f"/{sections[0]}", status_code=303)


@router.get("/signin")
async def signin_form(page: PublicPage, next: str = "/") -> Response:
    """The sign-in form; it sets the pre-session cookie its CSRF token is tied to."""
    seed = page.request.cookies.get(PRESESSION_COOKIE)
    if not seed:
        seed = secrets.token_urlsafe(16)
        page.csrf = csrf_token(page.services, seed)
    response = page.render("signin.html", next=_local(next), errors={})
    set_cookie(page.request, response, PRESESSION_COOKIE, seed, 3600)
    return response


@router.post("/signin")
async def signin(page: PublicPage) -> Response:
    """Check the password (or the token) and open a session."""
    form = await page.form()
    services = page.services
    keys = [client_key(client_address(page.request.scope))]
    if not form.get("token"):
        keys.append(account_key(form.get("username", "")))
    try:
        with services.throttle.attempt(*keys) as attempt:
            user = await _check(services, form)
            if user is None:
                attempt.failed()
    except TooManyAttempts as refused:
        errors = {"": page.t("signin.throttled", seconds=refused.retry_after)}
        throttled = page.render("signin.html", 429, next=_local(form.get("next")), errors=errors)
        throttled.headers["Retry-After"] = str(refused.retry_after)
        return throttled
    if user is None:
        errors = {"": page.t("signin.failed")}
        return page.render("signin.html", 401, next=_local(form.get("next")), errors=errors)
    response = RedirectResponse(_local(form.get("next")), status_code=303)
    await open_session(page.request, response, services, user)
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    return response


async def _check(services: Services, form: Mapping[str, str]) -> User | None:
    """The user the form's token or name and password belong to, if any."""
    pepper = services.settings.token_pepper
    if form.get("token"):
        return await run_in_threadpool(find_user, services.engine, form["token"], pepper)
    return await anyio.to_thread.run_sync(
        find_user_by_password,
        services.engine,
        form.get("username", ""),
        form.get("password", ""),
        pepper,
        limiter=services.password_checks,
    )


@router.post("/signout")
async def signout(page: SignedIn) -> Response:
    """Close the session; the page that follows empties the offline caches of the user."""
    await page.form()
    who = page.user.username if page.user is not None else None
    if page.user is not None and (nonce := page.seed()):
        await end_session(page.services, page.user, nonce)
    page.user = None
    response = page.render("signed_out.html", signed_out=who)  # its script clears their lists
    close_session(response)
    return response


@router.get("/lang/{code}")
async def choose_language(request: Request, code: str, next: str = "/") -> Response:
    """Remember the chosen language for a year."""
    response = RedirectResponse(_local(next), status_code=303)
    if code in i18n.LANGUAGES:
        set_cookie(request, response, LANG_COOKIE, code, 365 * 24 * 3600)
    return response


@router.get("/sw.js")
async def service_worker() -> Response:
    """The service worker that keeps the agent's page usable offline (served at the root scope)."""
    return FileResponse(
        STATIC / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
