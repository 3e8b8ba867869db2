"""What every projection is: a name, the streams it reads, its tables, and a batch writer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Connection, Table

from projections.writer_types import Applied

Batch = Sequence[Applied]


class Projection(Protocol):
    """Applies a batch of new, de-duplicated events to its tables in the caller's transaction."""

    name: str
    streams: tuple[str, ...]
    tables: tuple[Table, ...]

    def apply(self, conn: Connection, batch: Batch) -> None: ...
