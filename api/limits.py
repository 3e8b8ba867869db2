"""What a request may cost before anyone knows who sends it.

Bodies are bounded per route (413 before a byte of an oversized body is parsed), and a write
to the JSON API is authenticated before its body is read: a stranger's request costs a header
check and a token lookup, never the parsing of megabytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import find_user, unauthenticated

KIB = 1024
DEFAULT_LIMIT = 256 * KIB
LIMITS: Mapping[str, int] = {  # the routes whose bodies are larger by design
    "/v1/distributions/batch": 4 * 1024 * KIB,  # up to 10,000 offline records
    "/agent/sync": 1024 * KIB,  # up to 500 records from the agent's page
}
WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def limit_for(path: str) -> int:
    return LIMITS.get(path.rstrip("/"), DEFAULT_LIMIT)


class RequestCosts:
    """413 for a body over its route's limit (declared or streamed), 401 for an
    unauthenticated write to `/v1/` before its body is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WITH_BODY:
            await self.app(scope, receive, send)
            return
        path, limit = scope["path"], limit_for(scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, "too_large", _over(limit))
            return
        if path.startswith("/v1/") and not await self._known(scope, headers):
            refused = unauthenticated()
            challenge = {b"www-authenticate": b"Bearer"}
            await _answer(send, 401, refused.error, refused.message, challenge)
            return
        seen = 0
        answered = False  # by this middleware: whatever the route sends next is dropped

        async def counted() -> Message:
            nonlocal seen, answered
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit and not answered:
                    answered = True
                    await _answer(send, 413, "too_large", _over(limit))
                    return {"type": "http.disconnect"}  # the route stops reading
            return message

        async def sending(message: Message) -> None:
            if not answered:
                await send(message)

        await self.app(scope, counted, sending)

    async def _known(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        """Whether the bearer token names an active user, slowed after failures like the
        routes' own check (which runs again, with what that user may do)."""
        services = scope["app"].state.services
        client = scope["client"][0] if scope.get("client") else "unknown"
        await services.penalty.before(client)
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        user = None
        if scheme.lower() == "bearer" and token.strip():
            user = await run_in_threadpool(
                find_user, services.engine, token.strip(), services.settings.token_pepper
            )
        if user is None:
            services.penalty.failed(client)
        return user is not None


def _over(limit: int) -> str:
    return f"the body is over {limit // KIB} KiB, the most this route takes"


async def _answer(
    send: Send, status: int, error: str, message: str, extra: dict[bytes, bytes] | None = None
) -> None:
    body = json.dumps({"error": error, "message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += list((extra or {}).items())
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
