"""Correlation ids on HTTP: taken from `X-Correlation-ID` or made, echoed, logged per request."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.runtime.logs import acceptable_correlation_id, correlated

HEADER = "X-Correlation-ID"
log = logging.getLogger("aid.http")


class CorrelationIds:
    """Pure ASGI middleware: every request runs under one correlation id and logs one line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(HEADER.lower().encode(), b"").decode("latin-1")
        correlation_id = acceptable_correlation_id(given)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = correlation_id
            await send(message)

        started = time.perf_counter()
        with correlated(correlation_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                # The route template, never the raw path: paths can carry what users typed.
                route = getattr(scope.get("route"), "path", "unmatched")
                log.info(
                    "%s %s %s",
                    scope["method"],
                    route,
                    status,
                    extra={
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
