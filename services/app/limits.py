"""How often one user may do something costly or sensitive, in a sliding window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from services.app.errors import TooManyRequests


@dataclass
class RateLimit:
    """At most `limit` uses per key in any `window` seconds; past that, TooManyRequests."""

    what: str
    limit: int
    window: float
    monotonic: Callable[[], float] = time.monotonic
    max_keys: int = 100_000
    _uses: dict[str, deque[float]] = field(default_factory=dict)

    def take(self, key: str) -> None:
        """Count one use by `key`, or refuse it (not counted) when the window is full."""
        now = self.monotonic()
        uses = self._uses.setdefault(key, deque())
        while uses and now - uses[0] >= self.window:
            uses.popleft()
        if len(uses) >= self.limit:
            wait = uses[0] + self.window - now
            raise TooManyRequests(
                f"at most {self.limit} {self.what} per {self.window:g} s; try again in "
                f"{max(1, round(wait))} s",
                wait,
            )
        uses.append(now)
        if len(self._uses) > self.max_keys:  # forget keys with nothing in the window
            for idle in [k for k, u in self._uses.items() if not u or now - u[-1] >= self.window]:
                del self._uses[idle]
