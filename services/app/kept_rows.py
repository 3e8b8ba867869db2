"""Rows an API process keeps a moment, so that the command path does not read the same rows
for every command: the locations, items and campaigns a command is checked against, and the
user behind a bearer token."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache

REFERENCE = "reference"  # the stream of locations, items, donors and campaigns
USERS = "users"  # the stream of users, their roles, scopes and tokens


class KeptRows:
    """Rows read from the projection of `stream`, each kept `seconds`: a change made
    elsewhere is seen that much later at most. Only rows found are kept. For `seconds` after
    this process writes to that stream (`forget`) none is kept or given, so its own change is
    read as it would be with no rows kept: from the read models, once projected."""

    def __init__(
        self,
        stream: str,
        seconds: float,
        size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.seconds = seconds
        self._clock = clock
        self._rows: TTLCache[tuple[Any, str], Any] = TTLCache(size, max(seconds, 1e-9), timer=clock)
        self._quiet_until = 0.0

    def _kept(self) -> bool:
        return self.seconds > 0 and self._clock() >= self._quiet_until

    def get(self, lookup: Any, key: str) -> Any | None:
        return self._rows.get((lookup, key)) if self._kept() else None

    def keep(self, lookup: Any, key: str, row: Any) -> None:
        if self._kept():
            self._rows[(lookup, key)] = row

    def forget(self) -> None:
        self._rows.clear()
        self._quiet_until = self._clock() + self.seconds
