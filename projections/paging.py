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
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Engine, Select, and_, or_

from events.base import is_identifier

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
MAX_KEY_CHARS = 500  # a string key of a column with no declared length, or of a list in memory
INT64 = range(-(2**63), 2**63)  # what an integer column holds
NOT_OURS = "this cursor was not handed out by this list"


class BadCursor(ValueError):
    """A cursor this list did not hand out."""


class Id(str):
    """The kind of a key that is an id of the events (a slug or a UUID), for `page_of`."""


KeyKind = type | frozenset[str]
"""What a key of a list in memory is: str, Id, int or float, or one of a set of words."""


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
    rows: Sequence[dict[str, Any]],
    key: Callable[[dict[str, Any]], list[Any]],
    paging: Paging,
    kinds: Sequence[KeyKind],
) -> Page:
    """The same paging over a list computed in memory, sorted here on `key` (a list of
    strings and numbers, unique per row, of the `kinds` given)."""
    ordered = sorted(rows, key=key)
    if paging.cursor is not None:
        values = _values(paging.cursor, len(kinds))
        after = [_of_kind(v, kind) for v, kind in zip(values, kinds, strict=True)]
        ordered = [r for r in ordered if key(r) > after]
    if paging.limit is None or len(ordered) <= paging.limit:
        return Page(list(ordered))
    shown = list(ordered[: paging.limit])
    return Page(shown, encode(key(shown[-1])))


def _of_kind(value: Any, kind: KeyKind) -> Any:
    if isinstance(kind, type):
        return _checked(value, kind)
    if not isinstance(value, str) or value not in kind:
        raise BadCursor(NOT_OURS)
    return value


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
        raise BadCursor(NOT_OURS) from exc
    if not isinstance(values, list) or None in values or count not in (None, len(values)):
        raise BadCursor(NOT_OURS)
    return values


def _typed(value: Any, sort: Sort) -> Any:
    column_type = sort.column.type
    try:
        kind: type | None = column_type.python_type
    except NotImplementedError:
        kind = None  # an expression of no declared type: any key a list can hold
    return _checked(value, kind, getattr(column_type, "length", None) or MAX_KEY_CHARS)


def _checked(value: Any, kind: type | None, length: int = MAX_KEY_CHARS) -> Any:
    """`value` as a key of that kind, if a key of that kind can be it: a date or a datetime in
    ISO 8601, or a value `_fits` (what a cursor of this list holds; anything else would fail
    in the database or compare with nothing)."""
    if kind is datetime or kind is date:
        try:
            return kind.fromisoformat(_checked(value, str, 64))
        except ValueError as exc:
            raise BadCursor(NOT_OURS) from exc
    if not _fits(value, kind if kind in (str, Id, int, float) else None, length):
        raise BadCursor(NOT_OURS)
    if kind is not None and kind not in (str, Id, int, float):
        try:  # a column of another type (a UUID): the key as the column holds it
            return kind(value)
        except (TypeError, ValueError) as exc:
            raise BadCursor(NOT_OURS) from exc
    return value


def _fits(value: Any, kind: type | None, length: int) -> bool:
    """Whether a key of that kind (None: any) can be `value`: a string of at most `length`
    characters with no NUL, an id of the events, a 64-bit integer, a finite number."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False
    if kind is Id:
        return isinstance(value, str) and is_identifier(value)
    if isinstance(value, str):
        return kind in (str, None) and len(value) <= length and "\x00" not in value
    if isinstance(value, int):
        return kind in (int, float, None) and value in INT64
    return kind in (float, None) and math.isfinite(value)


def _after(order: Sequence[Sort], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in `order`: (a > x) or (a = x and b > y) or …"""
    clauses = []
    for i, sort in enumerate(order):
        equal = [order[j].column == values[j] for j in range(i)]
        beyond = sort.column < values[i] if sort.descending else sort.column > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)
