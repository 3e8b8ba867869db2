"""Failed sign-ins counted per client address and per account: past a limit, refused at once.

Nobody is made to wait. A client address (the real one, from trusted proxy headers) or an
account with too many failures in the window is answered 429 until its oldest failure leaves
the window, and attempts still being checked count as failures, so guesses sent in parallel
are bounded as tightly as guesses sent one after another. Other clients and accounts are not
touched: an attacker behind one address does not slow the people behind another.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from services.app.errors import TooManyRequests
from services.runtime.clock import Clock, SystemClock

log = logging.getLogger(__name__)


class TooManyAttempts(TooManyRequests):
    """Too many failed authentications from this client or for this account, for now."""

    error = "too_many_attempts"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(f"too many failed sign-ins; try again in {seconds} s", seconds)


def client_key(address: str) -> str:
    return f"client:{address}"


def account_key(username: str) -> str:
    return f"account:{username.strip().casefold()}"


@dataclass
class Attempt:
    """One authentication being checked; say `failed()` when the credentials were wrong."""

    is_failure: bool = False

    def failed(self) -> None:
        self.is_failure = True


@dataclass
class SignInThrottle:
    """Failures per key (client address, account) in a sliding window, with a limit per kind."""

    per_client: int = 30
    per_account: int = 10
    window: float = 900.0
    clock: Clock = field(default_factory=SystemClock)
    max_keys: int = 100_000
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _checking: Counter[str] = field(default_factory=Counter)

    def _limit(self, key: str) -> int:
        return self.per_account if key.startswith("account:") else self.per_client

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def refuse_if_over(self, *keys: str, held: bool = True) -> None:
        """Raise TooManyAttempts when any key has used up its failures for now (counting the
        attempts still being checked when `held`)."""
        now = self.clock.monotonic()
        for key in keys:
            failures = self._recent(key, now)
            if len(failures) + (self._checking[key] if held else 0) >= self._limit(key):
                oldest = failures[0] if failures else now
                raise TooManyAttempts(oldest + self.window - now)

    @contextmanager
    def attempt(self, *keys: str, held: bool = True) -> Iterator[Attempt]:
        """Reserve a try for each key while the credentials are checked; a try marked failed
        is remembered for the window. Raises TooManyAttempts before any check when over.

        `held=False` counts only failures: for bearer tokens, which cannot be guessed, so that
        one address sending many requests at once (an offline sync, a site behind one NAT) is
        never refused for its concurrency."""
        self.refuse_if_over(*keys, held=held)
        attempt = Attempt()
        if held:
            self._checking.update(keys)
        try:
            yield attempt
        finally:
            if held:
                self._checking.subtract(keys)
                for key in keys:
                    if self._checking[key] <= 0:
                        del self._checking[key]
            if attempt.is_failure:
                self._remember(keys)

    def _remember(self, keys: tuple[str, ...]) -> None:
        now = self.clock.monotonic()
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)
        if len(self._failures) > self.max_keys:  # forget keys whose failures are all old
            for stale in [k for k, ts in self._failures.items() if now - ts[-1] >= self.window]:
                del self._failures[stale]
        log.warning("failed authentication (%s)", keys[0] if keys else "unknown")
