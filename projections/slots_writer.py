"""Appointments as they are decided: each campaign's plan at a site, the slot each household
holds, and one message per household, language and assignment or change in the outbox.

Every event of a site lies on one partition of `slots`, in its writer's order, so applying
them in order is enough; what was served, and when, is read from the registry's
distributions when asked (`slot_queries`), whatever order the two streams arrive in. A
household moved from one site to another holds a row at each (two partitions, read in any
order) until the former's release deletes its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from events.slots import (
    SiteDayClosed,
    SlotAssigned,
    SlotDayAdded,
    SlotMoved,
    SlotPlanSet,
    SlotReleased,
)
from projections.projection import Batch
from projections.sql import insert_ignoring_duplicates, upsert
from projections.tables import slot_assignments, slot_messages, slot_plans
from services.domain.slots.messages import LANGUAGES, announcement, release


class SlotsProjection:
    name: str = "slots"
    streams: tuple[str, ...] = ("slots",)
    tables: tuple[Table, ...] = (slot_plans, slot_assignments, slot_messages)
    keyed_by_event: bool = False
    write_only: bool = False
    reads_views: bool = False

    def apply(self, conn: Connection, batch: Batch, replay: bool = False) -> None:
        held: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        for applied in batch:
            event, when = applied.event, applied.occurred_at
            if isinstance(event, SlotAssigned | SlotMoved):
                held.append(_held(event, when))
                messages += _messages(event, str(applied.envelope.event_id), when)
            elif isinstance(event, SlotReleased):
                held = _write(conn, held)
                a = slot_assignments.c
                conn.execute(
                    delete(slot_assignments).where(
                        a.campaign_id == event.campaign_id,
                        a.household_id == event.household_id,
                        a.site_id == event.site_id,
                    )
                )
                messages += _released(event, str(applied.envelope.event_id), when)
            elif isinstance(event, SlotPlanSet | SiteDayClosed | SlotDayAdded):
                held = _write(conn, held)
                _plan(conn, event, when)
        _write(conn, held)
        insert_ignoring_duplicates(conn, slot_messages, messages, ["message_id"])


def _write(conn: Connection, held: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The slots held so far written (one row per campaign, household and site)."""
    upsert(conn, slot_assignments, held, ["campaign_id", "household_id", "site_id"],
           replace=["day", "hour", "assigned_at"])  # fmt: skip
    return []


def _held(event: SlotAssigned | SlotMoved, when: datetime) -> dict[str, Any]:
    return {"campaign_id": event.campaign_id, "household_id": event.household_id,
            "site_id": event.site_id, "day": event.day, "hour": event.hour,
            "assigned_at": when}  # fmt: skip


def _messages(
    event: SlotAssigned | SlotMoved, event_id: str, when: datetime
) -> list[dict[str, Any]]:
    """One message per language, in the columns of `slot_messages` only (a key the table
    lacks, such as the slot's `assigned_at`, fails PostgreSQL's JSON rows)."""
    moved = isinstance(event, SlotMoved)
    return [
        {"message_id": f"{event_id}:{language}", "language": language, "created_at": when,
         "household_id": event.household_id, "campaign_id": event.campaign_id,
         "site_id": event.site_id, "day": event.day, "hour": event.hour,
         "text": announcement(language, event.campaign_id, event.site_id, event.day,
                              event.hour, moved)}
        for language in LANGUAGES
    ]  # fmt: skip


def _released(event: SlotReleased, event_id: str, when: datetime) -> list[dict[str, Any]]:
    return [
        {"message_id": f"{event_id}:{language}", "language": language, "created_at": when,
         "household_id": event.household_id, "campaign_id": event.campaign_id,
         "site_id": event.site_id, "day": event.day, "hour": event.hour,
         "text": release(language, event.campaign_id, event.site_id, event.day, event.hour)}
        for language in LANGUAGES
    ]  # fmt: skip


def _plan(
    conn: Connection, event: SlotPlanSet | SiteDayClosed | SlotDayAdded, when: datetime
) -> None:
    """The plan's row: set (a day it had closed and now has again is open), or a day
    closed or added."""
    key = (slot_plans.c.campaign_id == event.campaign_id) & (slot_plans.c.site_id == event.site_id)
    found = conn.execute(select(slot_plans.c.days, slot_plans.c.closed_days).where(key)).first()
    days, closed = (set(found.days), set(found.closed_days)) if found else (set(), set())
    if isinstance(event, SlotPlanSet):
        days = {d.isoformat() for d in event.days}
        row = {"campaign_id": event.campaign_id, "site_id": event.site_id,
               "opens_at": event.opens_at, "closes_at": event.closes_at,
               "per_hour": event.per_hour, "days": sorted(days),
               "closed_days": sorted(closed - days), "set_at": when}  # fmt: skip
        upsert(conn, slot_plans, [row], ["campaign_id", "site_id"], replace=list(row)[2:])
        return
    if found is None:
        return
    day = event.day.isoformat()
    if isinstance(event, SiteDayClosed):
        days, closed = days - {day}, closed | {day}
    else:
        days, closed = days | {day}, closed - {day}
    conn.execute(
        update(slot_plans).where(key).values(days=sorted(days), closed_days=sorted(closed))
    )
