"""Reference rows an API process keeps a moment, so that the command path does not read the
same locations, items and campaigns for every command."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cachetools import TTLCache

REFERENCE = "reference"  # the stream of locations, items, donors and campaigns


class ReferenceRows:
    """Reference rows (locations, items, campaigns) commands were checked against, each kept
    `seconds`: a change made elsewhere is seen that much later at most. Only rows found are
    kept. For `seconds` after this process writes to the reference stream (`forget`) none is
    kept or given, so its own change is read as it would be with no rows kept: from the read
    models, once projected."""

    def __init__(
        self, seconds: float, size: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._rows: TTLCache[tuple[Any, str], dict] = TTLCache(
            size, max(seconds, 1e-9), timer=clock
        )
        self._quiet_until = 0.0

    def _kept(self) -> bool:
        return self.seconds > 0 and self._clock() >= self._quiet_until

    def get(self, lookup: Any, key: str) -> dict | None:
        return self._rows.get((lookup, key)) if self._kept() else None

    def keep(self, lookup: Any, key: str, row: dict) -> None:
        if self._kept():
            self._rows[(lookup, key)] = row

    def forget(self) -> None:
        self._rows.clear()
        self._quiet_until = self._clock() + self.seconds
