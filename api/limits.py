"""What a request may cost before anyone knows who sends it.

Bodies are bounded per route (413 before a byte of an oversized body is parsed), and a write
to the JSON API is authenticated before its body is read: a stranger's request costs a header
check and a token lookup, never the parsing of megabytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import authenticate
from api.errors import AppError, status_of

KIB = 1024
DEFAULT_LIMIT = 256 * KIB
LIMITS: Mapping[str, int] = {  # the routes whose bodies are larger by design
    "/v1/distributions/batch": 4 * 1024 * KIB,  # up to 10,000 offline records
    "/agent/sync": 1024 * KIB,  # up to 500 records from the agent's page
    "/v1/households/imports": 64 * 1024 * KIB,  # a registry export of about 600,000 lines
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
        if path.startswith("/v1/"):
            refused = await self._refusal(scope, headers)
            if refused is not None:
                status, extra = status_of(refused), {}
                if status == 401:
                    extra[b"www-authenticate"] = b"Bearer"
                if retry := refused.details.get("retry_after"):
                    extra[b"retry-after"] = str(retry).encode()
                await _answer(send, status, refused.error, refused.message, extra)
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

    async def _refusal(self, scope: Scope, headers: dict[bytes, bytes]) -> AppError | None:
        """Why the bearer token does not name an active user (None when it does). The user
        found is kept in the request's state for the route's own check."""
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" else None
        try:
            await authenticate(scope["app"].state.services, scope, bearer)
        except AppError as refused:
            return refused
        return None


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
