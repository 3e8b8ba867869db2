"""Read your writes: wait (bounded) until the projections have applied a position."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import Engine

from api.errors import Invalid
from services.consistency import is_applied
from services.publisher import Position
from services.settings import Settings


def parse_position(text: str) -> Position:
    try:
        return Position.parse(text)
    except ValueError as exc:
        raise Invalid(
            "after must be a position as returned by a write, like 'stock:3:120'", field="after"
        ) from exc


async def wait_for(engine: Engine, settings: Settings, position: Position) -> bool:
    """True once every projection reading the stream reached the position; False on timeout."""
    deadline = time.monotonic() + settings.read_wait_seconds
    while True:
        if await asyncio.to_thread(is_applied, engine, settings, position):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.05)


async def wait_for_own_writes(
    engine: Engine, settings: Settings, last_written: dict[tuple[str, int], int], stream: str
) -> None:
    """Wait for everything this process wrote to a stream (bounded)."""
    for (written_stream, partition), offset in list(last_written.items()):
        if written_stream == stream:
            await wait_for(engine, settings, Position(stream, partition, offset))
