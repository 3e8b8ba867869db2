"""Imports started by an upload: run in the background of the process that took the file,
their state read back from the read-model database by anyone allowed.

The uploaded file stays in this process's memory while it is imported and nowhere else.
An import whose process stopped shows `running` until the same file is sent again, which
resumes it (the same file is the same import: see `household_import`).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from projections import imports_queries
from projections.paging import Paging
from services.app.errors import Invalid, NotFound
from services.app.household_import import import_households, import_id_for
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread
from services.domain.households.importing import UnreadableFile, read

log = logging.getLogger(__name__)


@dataclass
class Imports:
    """The imports this process runs, by id (at most one run of an import at a time)."""

    running: dict[str, asyncio.Task[Any]] = field(default_factory=dict)

    def start(self, import_id: str, run: Any) -> None:
        task = asyncio.create_task(run)
        self.running[import_id] = task
        task.add_done_callback(lambda t: self._ended(import_id, t))

    def _ended(self, import_id: str, task: asyncio.Task[Any]) -> None:
        self.running.pop(import_id, None)
        if not task.cancelled() and task.exception() is not None:
            # the kind only: a message could quote what the file held
            log.warning("import %s stopped: %s", import_id, type(task.exception()).__name__)

    async def stop(self) -> None:
        """Stop every run (the process ends; sending the file again resumes each)."""
        for task in list(self.running.values()):
            task.cancel()
        await asyncio.gather(*self.running.values(), return_exceptions=True)


def _lines(body: bytes) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(body), encoding="utf-8-sig", errors="replace", newline="")


async def start_import(
    ports: Ports, imports: Imports, user: User, now: datetime, body: bytes, dry_run: bool
) -> tuple[dict[str, Any], bool]:
    """Start importing an uploaded export (or answer the import of the same file, if it is
    running here or done); its state, and whether this call started it."""
    authorize(user, "households.write")
    try:
        read(_lines(body), {})  # the header, at once: a file that will not do is a 422
    except UnreadableFile as exc:
        raise Invalid(str(exc), field="file") from None
    import_id = import_id_for(ports, hashlib.sha256(body).digest(), dry_run, user)
    known = await in_thread(imports_queries.state, ports.engine, import_id)
    if import_id in imports.running or (known and known["status"] == "done"):
        return await import_state(ports, user, import_id), False
    await in_thread(imports_queries.start, ports.engine, import_id, dry_run, user.username, now)
    run = import_households(ports, user, now, import_id, _lines(body), dry_run=dry_run)
    imports.start(import_id, run)
    return await import_state(ports, user, import_id), True


async def import_state(
    ports: Ports, user: User, import_id: str, paging: Paging | None = None
) -> dict[str, Any]:
    """Where the import stands: counts, and its refused lines a page at a time."""
    authorize(user, "households.write")
    state = await in_thread(imports_queries.state, ports.engine, import_id)
    if state is None:
        raise NotFound(f"no import {import_id!r}", error="unknown_import")
    page = await in_thread(imports_queries.refusals, ports.engine, import_id, paging or Paging())
    counts = {k: state[k] for k in imports_queries.COUNTS}
    return {
        "import_id": import_id,
        "dry_run": state["dry_run"],
        "status": state["status"],
        "done": state["status"] == "done",
        **counts,
        "refusals": page.items,
        "next": page.next,
    }
