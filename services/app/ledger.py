"""The ledger's published checkpoints: public reading for whoever holds the system to them."""

from __future__ import annotations

from typing import Any

from projections import ledger_queries
from projections.paging import Paging
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread


async def checkpoints(ports: Ports, user: User, paging: Paging) -> dict[str, Any]:
    """A page of the signed checkpoints, newest first, and the key id that signs them now."""
    authorize(user, "ledger.read")
    found = await in_thread(ledger_queries.checkpoints_page, ports.engine, paging)
    key = ports.settings.checkpoints()
    return {"key_id": key.key_id, "public_key": key.public_key.hex(), "items": found.items,
            "next": found.next}  # fmt: skip
