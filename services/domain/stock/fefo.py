"""First expired, first out: the one order in which lots leave a location."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol, TypeVar


class Dated(Protocol):
    """A lot of stock as FEFO sees it (a lot on hand, a line of a transfer)."""

    @property
    def expires_on(self) -> date | None: ...

    @property
    def lot(self) -> str: ...


D = TypeVar("D", bound=Dated)


def fefo(lots: Iterable[D]) -> list[D]:
    """The lots in the order they leave: soonest expiry first, lots without expiry last,
    then by lot code so the order never depends on how the lots were listed."""
    return sorted(lots, key=lambda lt: (lt.expires_on is None, lt.expires_on or date.max, lt.lot))
