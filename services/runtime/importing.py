"""`aid households import`: the import use case wired to Kafka, the read models and the key
store from the command line, with the file read as it goes (never copied anywhere)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from projections.database import make_engine, migrate
from projections.key_store import SqlKeyStore
from services.app.household_import import ImportReport, OnLines, import_households, import_id_for
from services.app.kept_rows import REFERENCE, USERS, KeptRows
from services.app.limits import RateLimit
from services.app.permissions import User
from services.app.ports import AuditTrail, CommandBus
from services.domain.privacy import PersonalData
from services.runtime.audit import CommandedAudit
from services.runtime.command_bus import KafkaCommandBus
from services.runtime.command_writer import CommandWriter
from services.runtime.log_reader import read_range
from services.runtime.logs import correlated
from services.runtime.partitioning import partition_for
from services.runtime.settings import Settings

# Whoever may run `aid` on the server acts as an administrator (as `aid users create` does).
IMPORTER = User(username="aid-households-import", role="admin")


@dataclass
class CommandLinePorts:
    """What the use case needs, from this process: the same collaborators as the API's."""

    settings: Settings
    engine: Engine
    bus: CommandBus
    personal: PersonalData
    audit: AuditTrail
    lookups: RateLimit = field(default_factory=lambda: RateLimit("lookups", 30, 60.0))
    last_written: dict[tuple[str, int], int] = field(default_factory=dict)
    reference: KeptRows = field(default_factory=lambda: KeptRows(REFERENCE, 0))  # none kept
    users: KeptRows = field(default_factory=lambda: KeptRows(USERS, 0))

    def read_log(
        self, settings: Settings, topic: str, partition: int, first: int, last: int
    ) -> list[tuple[int, bytes | None]]:
        return read_range(settings, topic, partition, first, last)

    def partition_of(self, key: str) -> int:
        return partition_for(key, self.settings.partitions)


def scan(path: Path) -> tuple[bytes, int]:
    """The file's digest and its number of lines, read in chunks (unreadable: OSError)."""
    digest, lines = hashlib.sha256(), 0
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return digest.digest(), lines


@contextmanager
def text_lines(path: Path) -> Iterator[Iterator[str]]:
    """The file as UTF-8 text, line by line (a byte that is not UTF-8 marks its line)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as text:
        yield iter(text)


async def run_import(
    settings: Settings, path: Path, dry_run: bool, on_lines: OnLines | None = None
) -> ImportReport:
    """Import the file (or check it, in a dry run); the import's id comes from its content."""
    digest, _ = scan(path)
    engine = make_engine(settings.db_url)
    migrate(engine)
    keys = SqlKeyStore(make_engine(settings.key_store_db_url))
    keys.create()
    bus = KafkaCommandBus(settings, CommandWriter(settings, client_id="aid-import"))
    ports = CommandLinePorts(
        settings, engine, bus, PersonalData(keys, settings.master_key), CommandedAudit(bus)
    )
    import_id = import_id_for(ports, digest, dry_run)
    if not dry_run:  # a dry run publishes nothing: it needs no Kafka at all
        await bus.start()
    try:
        # One flow: every command (and so every event and offer) of the import carries its id.
        with text_lines(path) as lines, correlated(import_id):
            now = datetime.now(UTC)
            return await import_households(
                ports, IMPORTER, now, import_id, lines, dry_run=dry_run, on_lines=on_lines
            )
    finally:
        await bus.stop()
        engine.dispose()
        keys.engine.dispose()
