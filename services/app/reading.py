"""Reading the read models from a use case: off the event loop, after this process's writes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Engine

from projections import queries
from projections.queries import lowest_applied
from projections.registry import PROJECTIONS
from services.app.errors import Invalid
from services.app.kept_rows import REFERENCE
from services.app.ports import Ports
from services.domain.positions import Position
from services.runtime.settings import Settings

T = TypeVar("T")


def is_applied(engine: Engine, settings: Settings, position: Position) -> bool:
    """Whether every projection reading the position's stream has applied it."""
    readers = [p.name for p in PROJECTIONS.values() if position.stream in p.streams]
    topic = settings.topic(position.stream)
    return lowest_applied(engine, topic, position.partition, readers) >= position.offset


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking read (SQL, the key store) in a worker thread (asyncio's: half the cost
    of anyio's, which FastAPI uses, per hop)."""
    return await asyncio.to_thread(function, *args, **kwargs)


async def wait_for(engine: Engine, settings: Settings, position: Position) -> bool:
    """True once every projection reading the stream reached the position; False on timeout."""
    deadline = time.monotonic() + settings.read_wait_seconds
    while True:
        if await asyncio.to_thread(is_applied, engine, settings, position):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.05)


async def wait_for_all(engine: Engine, settings: Settings, positions: Iterable[Position]) -> bool:
    """True once the projections reached every position; False when one did not in time (the
    waits run side by side: the bound is one wait's)."""
    waits = [wait_for(engine, settings, position) for position in positions]
    return all(await asyncio.gather(*waits))


def remember_write(ports: Ports, position: Position) -> None:
    """Note the newest position this process wrote, per partition, so that its next reads
    wait for it; rows kept are forgotten after a write to their stream."""
    key = (position.stream, position.partition)
    ports.last_written[key] = max(position.offset, ports.last_written.get(key, -1))
    for kept in (ports.reference, ports.users):
        if position.stream == kept.stream:
            kept.forget()


async def wait_for_own_writes(
    engine: Engine, settings: Settings, last_written: dict[tuple[str, int], int], stream: str
) -> None:
    """Wait for everything this process wrote to a stream (bounded)."""
    for (written_stream, partition), offset in list(last_written.items()):
        if written_stream == stream:
            await wait_for(engine, settings, Position(stream, partition, offset))


async def seen(ports: Ports, stream: str, lookup: Callable[..., T], *args: Any) -> T:
    """`lookup(engine, *args)`; when it finds nothing, asked again once the read models hold
    this process's own writes to `stream`: what a client has just written (its 201 in hand)
    is found by its next request, although the projection lags the log."""
    found = await in_thread(lookup, ports.engine, *args)
    if not found:
        await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, stream)
        found = await in_thread(lookup, ports.engine, *args)
    return found


async def known(
    ports: Ports, lookup: Any, key: str, field: str, what: str, stream: str = "reference"
) -> dict:
    """The row (after this process's own writes to `stream`), or Invalid naming the field.
    Rows of the reference stream may come from `ports.reference`, a moment old."""
    kept = ports.reference.get(lookup, key) if stream == REFERENCE else None
    if kept is not None:
        return kept
    row = await seen(ports, stream, lookup, key)
    if row is None:
        raise Invalid(f"unknown {what} {key!r}: register it first", field=field)
    if stream == REFERENCE:
        ports.reference.keep(lookup, key, row)
    return row


async def known_pair(ports: Ports, location_id: str, item_id: str) -> dict:
    """The location, once both it and the item are known."""
    location = await known(ports, queries.location, location_id, "location_id", "location")
    await known(ports, queries.item, item_id, "item_id", "item")
    return location
