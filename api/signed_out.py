"""The sessions signed out through this API process."""

from __future__ import annotations

from collections import OrderedDict


class SignedOutHere:
    """Sessions (by hash) signed out through this process, refused here at once: elsewhere
    from when the sign-out is projected, a moment later. Bounded: the oldest are in the read
    models by then."""

    def __init__(self, kept: int = 10_000) -> None:
        self._kept = kept
        self._ended: OrderedDict[str, None] = OrderedDict()

    def add(self, hashed: str) -> None:
        self._ended[hashed] = None
        while len(self._ended) > self._kept:
            self._ended.popitem(last=False)

    def __contains__(self, hashed: object) -> bool:
        return hashed in self._ended
