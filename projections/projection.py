"""What every projection is: a name, the streams it reads, its tables, and a batch writer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Connection, Table

from projections.sql import Target
from projections.writer_types import Applied

Batch = Sequence[Applied]


class Projection(Protocol):
    """Applies a batch of new, de-duplicated events to its tables in the caller's transaction.

    `keyed_by_event`: every row it writes is keyed by the event's id and written only if
    new, so an event applied twice leaves the same rows; the writer then drops a repeated
    event by that key instead of recording each event id in `applied_events`.

    `replay`: the batch belongs to a replay from offset 0 into empty tables (a rebuild),
    which drops a repeated event itself, so no row keyed by one of its events exists yet,
    even for a projection keyed by event (`insert_new` can write them).

    `write_only`: `apply` only writes (through `projections.sql`'s `upsert`, `insert_new`
    and `execute`) and never reads, so it also takes a `WritePlan` for a connection and its
    writes can be worked out before the transaction (see `WriteOnlyProjection`).

    `reads_views`: `apply` reads its events by their fields and properties, `isinstance` and
    `singledispatch` only (never `model_dump` or another pydantic method, nor the envelope's
    `data`, which holds the event itself in a view), so its reader can hand it msgspec Structs
    that read as the models instead of building pydantic instances (events/hot_decode.py,
    `view`)."""

    name: str
    streams: tuple[str, ...]
    tables: tuple[Table, ...]
    keyed_by_event: bool
    write_only: bool
    reads_views: bool

    def apply(self, conn: Connection, batch: Batch, replay: bool = False) -> None: ...


class WriteOnlyProjection(Protocol):
    """A projection whose `write_only` is true: its `apply` writes into a plan as well."""

    def apply(self, conn: Target, batch: Batch, replay: bool = False) -> None: ...
