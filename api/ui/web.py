"""What every page needs: the signed-in user, the language, the CSRF check, the templates.

Pages call the same use cases as the JSON API (`services.app`: the same authorisation, the
same commands and the same queries); an error they raise becomes an HTML page here.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from api.auth import User
from api.deps import Services, ServicesDep
from api.errors import ApiError, Forbidden, invalid_of, status_of
from api.permissions import grant
from api.ui import i18n
from api.ui.forms import refusal_text
from api.ui.session import LANG_COOKIE, PRESESSION_COOKIE, csrf_ok, csrf_token, read_session

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# The sections of the UI and the permission each needs, from the one permission table. The
# admin's desk opens with the permission only administrators hold; each of its forms then
# needs its own (reference.write, relief.write, stock.thresholds), as over HTTP. The
# registration desk comes last, so that every other role still lands on its own section.
SECTIONS = (
    ("operator", "stock.write"),
    ("agent", "distributions.write"),
    ("coordinator", "relief.read"),
    ("donor", "donations.read"),
    ("auditor", "history.read"),
    ("admin", "users.manage"),
    ("desk", "households.write"),
    ("sites", "sitelists.read"),
    ("requisitions", "requisitions.write"),
)


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in form."""


CARD_ROWS = 100  # a stock card's lines per page


def more_url(path: str, cursor: str | None, **params: str) -> str | None:
    """A list's next page (its cursor as `after`, beside the page's own parameters), or None
    on its last page."""
    return f"{path}?{urlencode(params | {'after': cursor})}" if cursor else None


def translator(request: Request) -> i18n.Translator:
    wanted = request.cookies.get(LANG_COOKIE)
    return i18n.Translator(i18n.pick(wanted))


def sections_of(user: User) -> list[str]:
    return [name for name, action in SECTIONS if grant(user.role, action) is not None]


@dataclass
class Page:
    """One request's view: who, in which language, with which CSRF token."""

    request: Request
    services: Services
    t: i18n.Translator
    user: User | None
    csrf: str

    def may(self, action: str) -> bool:
        """Whether the signed-in user may do this: a page shows a form only to those who may
        send it."""
        return self.user is not None and grant(self.user.role, action) is not None

    def render(self, template: str, code: int = 200, **values: Any) -> HTMLResponse:
        context = {
            "t": self.t,
            "user": self.user,
            "may": self.may,
            "csrf": self.csrf,
            "sections": sections_of(self.user) if self.user else [],
            "languages": i18n.NAMES,
            "path": self.request.url.path,
            "query": self.request.url.query,
            **values,
        }
        response = templates.TemplateResponse(self.request, template, context, status_code=code)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def form(self) -> dict[str, str]:
        """The posted form, refused with 403 unless its CSRF token matches this session."""
        data = await self.request.form()
        if not csrf_ok(self.services, self.seed(), str(data.get("csrf") or "")):
            raise Forbidden("the form expired or came from another site: reload and retry")
        return {k: str(v).strip() for k, v in data.items() if isinstance(v, str)}

    async def chosen(self, name: str) -> list[str]:
        """Every value posted under a name (a list that allows several choices)."""
        data = await self.request.form()
        return [str(v) for v in data.getlist(name) if isinstance(v, str) and v]

    def check_header(self) -> None:
        """For JSON posts from the page's script: the token travels in X-CSRF-Token."""
        if not csrf_ok(self.services, self.seed(), self.request.headers.get("x-csrf-token")):
            raise Forbidden("the page expired or came from another site: reload and retry")

    def seed(self) -> str | None:
        """The session's nonce (or the pre-session's), which the CSRF token derives from."""
        return getattr(self.request.state, "csrf_seed", None)


async def _page(request: Request, services: ServicesDep, signed_in: bool) -> Page:
    session = await read_session(request, services)
    if signed_in and session is None:
        raise SignInRequired
    seed = session.nonce if session else request.cookies.get(PRESESSION_COOKIE)
    request.state.csrf_seed = seed
    token = csrf_token(services, seed) if seed else ""
    return Page(request, services, translator(request), session.user if session else None, token)


async def public_page(request: Request, services: ServicesDep) -> Page:
    return await _page(request, services, signed_in=False)


def section(name: str) -> Callable[..., Coroutine[Any, Any, Page]]:
    """A dependency admitting only roles whose permissions open this section (else 403)."""
    action = dict(SECTIONS)[name]

    async def admit(request: Request, services: ServicesDep) -> Page:
        page = await _page(request, services, signed_in=True)
        assert page.user is not None
        if grant(page.user.role, action) is None:
            raise Forbidden(f"the {name} pages are not open to the role {page.user.role!r}")
        return page

    return admit


PublicPage = Annotated[Page, Depends(public_page)]


async def any_signed_in(request: Request, services: ServicesDep) -> Page:
    return await _page(request, services, signed_in=True)


SignedIn = Annotated[Page, Depends(any_signed_in)]


class PageRoute(APIRoute):
    """A route answering HTML: a refusal becomes a page, a missing session a redirect."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                if _wants_json(request):
                    return JSONResponse({"error": "unauthenticated"}, status_code=401)
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)
            except ApiError as exc:
                return error_page(request, exc)
            except RequestValidationError as exc:  # a query parameter the page cannot take
                return error_page(request, invalid_of(exc))

        return answer


def _wants_json(request: Request) -> bool:
    return request.headers.get("accept", "").startswith("application/json")


def error_page(request: Request, exc: ApiError) -> Response:
    t = translator(request)
    status = status_of(exc)
    key = f"error.{status}"
    if _wants_json(request):
        return JSONResponse(exc.body() | {"text": t(key)}, status_code=status)
    context: dict[str, Any] = {
        "t": t, "user": None, "csrf": "", "sections": [], "languages": i18n.NAMES,
        "path": request.url.path, "query": "", "status": status, "key": key,
        "detail": refusal_text(exc, t),
    }  # fmt: skip
    response = templates.TemplateResponse(request, "error.html", context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response
