"""Stage timings of a sampled write request, answered in a `Server-Timing` header."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.runtime.command_timing import HEADER, CommandTiming, Sampler, current_timing

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CommandTimings:
    """Pure ASGI middleware: one write in `every` is timed from its arrival to its answer
    (the command bus and the decider stamp what lies between)."""

    def __init__(self, app: ASGIApp, every: int) -> None:
        self.app = app
        self.sampled = Sampler(every)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES or not self.sampled():
            await self.app(scope, receive, send)
            return
        timing = CommandTiming()

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                timing.stamp("answered")
                if header := timing.header():
                    MutableHeaders(scope=message)[HEADER] = header
            await send(message)

        token = current_timing.set(timing)
        try:
            await self.app(scope, receive, send_timed)
        finally:
            current_timing.reset(token)
