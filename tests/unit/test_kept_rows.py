"""Rows an API process keeps: a moment, found rows only, none right after its own
write to their stream (the command path's use: tests/unit/test_households_api.py)."""

from __future__ import annotations

from typing import Any

from services.app.kept_rows import REFERENCE, KeptRows

SITE = {"location_id": "site-amizmiz", "kind": "site"}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lookup(engine: Any, key: str) -> dict[str, Any] | None:
    return None  # stands for a query; the rows never call it


def test_a_row_is_given_back_for_its_moment_then_read_again() -> None:
    clock = Clock()
    rows = KeptRows(REFERENCE, 1.0, clock=clock)
    rows.keep(lookup, "site-amizmiz", SITE)

    clock.now += 0.9
    assert rows.get(lookup, "site-amizmiz") == SITE
    assert rows.get(lookup, "site-asni") is None
    clock.now += 0.2
    assert rows.get(lookup, "site-amizmiz") is None


def test_after_its_own_write_the_process_keeps_nothing_for_a_moment() -> None:
    clock = Clock()
    rows = KeptRows(REFERENCE, 1.0, clock=clock)
    rows.keep(lookup, "site-amizmiz", SITE)

    rows.forget()
    rows.keep(lookup, "site-amizmiz", SITE)  # perhaps read before the write was projected
    assert rows.get(lookup, "site-amizmiz") is None
    clock.now += 1.0
    rows.keep(lookup, "site-amizmiz", SITE)
    assert rows.get(lookup, "site-amizmiz") == SITE


def test_no_moment_keeps_nothing() -> None:
    rows = KeptRows(REFERENCE, 0)
    rows.keep(lookup, "site-amizmiz", SITE)

    assert rows.get(lookup, "site-amizmiz") is None
