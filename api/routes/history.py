"""The auditor's history of a subject: every event about it, in order."""

from __future__ import annotations

from api.deps import CurrentUser, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.history import History, HistoryEntry
from services.app import history

router = Router(prefix="/v1/history", tags=["history"])


@router.get("/{kind}/{subject_id}", response_model=History)
async def history_of(
    kind: str,
    subject_id: str,
    services: ServicesDep,
    user: CurrentUser,
    _: ReadAfter,
    page: PageOf,
) -> History:
    """Every event about a location, household, campaign, convoy, donation, user or item,
    with its time, actor, correlation and cause, and what it said (a household's history
    names no person)."""
    found = await history.history(services, user, kind, subject_id, page)
    entries = [HistoryEntry(**row | {"event_id": str(row["event_id"])}) for row in found.items]
    return History(kind=kind, id=subject_id, items=entries, next=found.next)
