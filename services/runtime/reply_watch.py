"""Following the decisions of commands another process sends (a policy's, for instance).

A route that starts a flow run by a worker policy watches the replies to the commands the
policy will send (their ids derive from the event the route caused), so it can answer with
the flow's outcome. Watching sends nothing: it only listens to the replies going by.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from services.app.errors import BrokerUnavailable
from services.domain.commands import Reply


class NoOutcomeYet(BrokerUnavailable):
    """The flow is under way but did not end in time; asking again is safe."""


class ReplyWatch:
    """The replies, as they go by, to the commands whose ids `wants`."""

    def __init__(self, wants: Callable[[str], bool]) -> None:
        self.wants = wants
        self.seen: asyncio.Queue[Reply] = asyncio.Queue()

    def offer(self, reply: Reply) -> None:
        if self.wants(reply.command_id):
            self.seen.put_nowait(reply)

    async def next(self, timeout: float) -> Reply:
        """The next reply watched, or NoOutcomeYet after `timeout` seconds."""
        try:
            return await asyncio.wait_for(self.seen.get(), timeout)
        except TimeoutError as exc:
            raise NoOutcomeYet("the flow did not end in time; retry with the same request") from exc


class ReplyWatchers:
    """The watches of one process, fed by whatever receives its replies."""

    def __init__(self) -> None:
        self.active: set[ReplyWatch] = set()

    def wanted(self, command_id: str) -> bool:
        return any(w.wants(command_id) for w in self.active)

    def offer(self, reply: Reply) -> None:
        for watch in list(self.active):
            watch.offer(reply)

    @contextmanager
    def watch(self, wants: Callable[[str], bool]) -> Iterator[ReplyWatch]:
        """Watch from now on (before sending what will cause the replies) until the block ends."""
        watch = ReplyWatch(wants)
        self.active.add(watch)
        try:
            yield watch
        finally:
            self.active.discard(watch)
