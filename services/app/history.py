"""The auditor's view: everything that happened to a location, household, campaign,
convoy, donation, user or item, in order, with who, when and in which flow."""

from __future__ import annotations

from projections import history_queries
from projections.history import KINDS
from projections.paging import Page, Paging
from services.app.errors import NotFound
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread


async def history(ports: Ports, user: User, kind: str, subject_id: str, paging: Paging) -> Page:
    """A page of the subject's events (none of a household's pseudonyms or sealed data)."""
    authorize(user, "history.read")
    if kind not in KINDS:
        raise NotFound(
            f"no history of {kind!r}; kinds are {', '.join(KINDS)}", error="unknown_kind"
        )
    return await in_thread(history_queries.history_of, ports.engine, kind, subject_id, paging)
