"""Lists read a page at a time, by keyset: stable under concurrent writes, and as cheap for
the hundredth page as for the first.

A list is sorted on columns that together are unique and never empty (the last is the row's
own key). A page is `limit` rows after the cursor; the cursor is the sort values of the last
row sent, opaque to clients (base64 of JSON). A row written between two pages appears in a
later page if it sorts after the cursor, and is never sent twice.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Engine, Select, and_, or_

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


class BadCursor(ValueError):
    """A cursor this list did not hand out."""


@dataclass(frozen=True)
class Paging:
    """What page to read: at most `limit` rows after `cursor` (None: from the start). A
    limit of None reads everything (the pages and reports that need a whole list)."""

    limit: int | None = DEFAULT_LIMIT
    cursor: str | None = None


EVERYTHING = Paging(limit=None)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]] = field(default_factory=list)
    next: str | None = None


@dataclass(frozen=True)
class Sort:
    """One sort column: its expression, the key it has in a row, and its direction."""

    column: ColumnElement[Any]
    key: str
    descending: bool = False


def read_page(engine: Engine, stmt: Select[Any], order: Sequence[Sort], paging: Paging) -> Page:
    """The page of `stmt` (filtered, not yet ordered) that `paging` asks for."""
    if paging.cursor is not None:
        stmt = stmt.where(_after(order, decode(paging.cursor, order)))
    stmt = stmt.order_by(*(s.column.desc() if s.descending else s.column for s in order))
    if paging.limit is None:
        return Page(_fetch(engine, stmt))
    rows = _fetch(engine, stmt.limit(paging.limit + 1))
    if len(rows) <= paging.limit:
        return Page(rows)
    shown = rows[: paging.limit]
    return Page(shown, encode([shown[-1][s.key] for s in order]))


def page_of(
    rows: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], list[Any]], paging: Paging
) -> Page:
    """The same paging over a list computed in memory, sorted here on `key` (a list of
    strings and numbers, unique per row)."""
    ordered = sorted(rows, key=key)
    if paging.cursor is not None:
        after = _values(paging.cursor, None)
        try:
            ordered = [r for r in ordered if key(r) > after]
        except TypeError as exc:
            raise BadCursor("this cursor was not handed out by this list") from exc
    if paging.limit is None or len(ordered) <= paging.limit:
        return Page(list(ordered))
    shown = list(ordered[: paging.limit])
    return Page(shown, encode(key(shown[-1])))


def _fetch(engine: Engine, stmt: Select[Any]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode(cursor: str, order: Sequence[Sort]) -> list[Any]:
    values = _values(cursor, len(order))
    return [_typed(v, s) for v, s in zip(values, order, strict=True)]


def _values(cursor: str, count: int | None) -> list[Any]:
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise BadCursor("this cursor was not handed out by this list") from exc
    if not isinstance(values, list) or None in values or count not in (None, len(values)):
        raise BadCursor("this cursor was not handed out by this list")
    return values


def _typed(value: Any, sort: Sort) -> Any:
    try:
        kind = sort.column.type.python_type
    except NotImplementedError:
        return value
    try:
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise BadCursor("this cursor was not handed out by this list") from exc


def _after(order: Sequence[Sort], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in `order`: (a > x) or (a = x and b > y) or …"""
    clauses = []
    for i, sort in enumerate(order):
        equal = [order[j].column == values[j] for j in range(i)]
        beyond = sort.column < values[i] if sort.descending else sort.column > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)
