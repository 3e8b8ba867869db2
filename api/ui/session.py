"""Web sessions: a signed cookie naming the user, checked against the users projection.

The cookie is HttpOnly, SameSite=Strict and Secure over https. It carries the username,
a fingerprint of the user's credentials and a random nonce; each request loads the user
again, so a revoked user's sessions stop at once, and so do those opened before a new
token or password (a reset, a creation again); their new scopes apply at once; a signed-out
session (a `SessionEnded` event) stops wherever its cookie was copied. Every form carries a
CSRF token derived from the nonce (or, before sign-in, from a random pre-session cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.auth import User, active_user
from api.deps import Services
from projections import queries
from services.app import users
from services.app.errors import BrokerUnavailable
from services.domain.keys import purpose_key

log = logging.getLogger(__name__)

SESSION_COOKIE = "aid_session"
PRESESSION_COOKIE = "aid_presession"
LANG_COOKIE = "aid_lang"
MAX_AGE = 12 * 3600


@dataclass(frozen=True)
class WebSession:
    user: User
    nonce: str


def _serializer(services: Services) -> URLSafeTimedSerializer:
    key = purpose_key(services.settings.token_pepper, "sessions")
    return URLSafeTimedSerializer(key, salt="aid-web-session")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


async def open_session(
    request: Request, response: Response, services: Services, user: User
) -> None:
    """Sign the user in: a new nonce each time, so an old cookie never becomes this session."""
    found = await run_in_threadpool(active_user, services.engine, user.username)
    fingerprint = found[1] if found else ""
    payload = {"u": user.username, "f": fingerprint, "n": secrets.token_urlsafe(16)}
    set_cookie(request, response, SESSION_COOKIE, _serializer(services).dumps(payload), MAX_AGE)


def close_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


async def read_session(request: Request, services: Services) -> WebSession | None:
    """The signed-in user, unless the cookie is missing, forged, old, or the user revoked."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        payload: dict[str, Any] = _serializer(services).loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    found = await run_in_threadpool(active_user, services.engine, str(payload.get("u", "")))
    if found is None or not hmac.compare_digest(found[1], str(payload.get("f", ""))):
        return None
    nonce = str(payload.get("n", ""))
    ended = session_hash(nonce)
    if ended in services.signed_out or await run_in_threadpool(
        queries.session_ended, services.engine, ended
    ):
        return None
    return WebSession(found[0], nonce)


def session_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


async def end_session(services: Services, user: User, nonce: str) -> None:
    """Record the sign-out, so this session's cookie signs nobody in, wherever it was copied.

    With Kafka down the cookie is still removed from this browser; the session then stays
    valid elsewhere until it expires, and the log says so."""
    services.signed_out.add(session_hash(nonce))
    try:
        await users.sign_out(services, user, datetime.now(UTC), session_hash(nonce))
    except BrokerUnavailable:
        log.warning("sign-out of %s not recorded: Kafka unavailable", user.username)


def csrf_token(services: Services, seed: str) -> str:
    key = purpose_key(services.settings.token_pepper, "csrf")
    return hmac.new(key, f"csrf:{seed}".encode(), hashlib.sha256).hexdigest()[:40]


def csrf_ok(services: Services, seed: str | None, sent: str | None) -> bool:
    if not seed or not sent:
        return False
    return hmac.compare_digest(csrf_token(services, seed), sent)
