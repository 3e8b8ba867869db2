"""The auditor's history of a subject."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import NEXT, UtcDatetime


class HistoryEntry(BaseModel):
    event_id: str
    type: str
    occurred_at: UtcDatetime
    actor: str
    role: str
    correlation_id: str
    causation_id: str
    facts: dict[str, Any] = Field(description="What the event said (no pseudonym or secret).")


class History(BaseModel):
    kind: str
    id: str
    items: list[HistoryEntry]
    next: str | None = Field(default=None, description=NEXT)
