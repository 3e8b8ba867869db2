"""Read your writes: wait (bounded) until the projections have applied a position."""

from __future__ import annotations

from api.errors import Invalid
from services.app.reading import wait_for
from services.domain.positions import Position

__all__ = ["parse_position", "wait_for"]


def parse_position(text: str) -> Position:
    try:
        return Position.parse(text)
    except ValueError as exc:
        raise Invalid(
            "after must be a position as returned by a write, like 'stock:3:120'", field="after"
        ) from exc
