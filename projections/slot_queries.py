"""Appointments as read: a campaign's plan at a site with, per slot, the households expected,
served and served out of their slot; a household's slots; a site's households to offer.

What was served comes from the registry's distributions: each household's first counted
basket of the campaign (served once), at the hour of the site's local time it was handed. A
household served in another hour than its slot, or without one, is still served, and counted
out of slot in the hour it came."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from projections.tables import distributions, households, slot_assignments, slot_plans
from services.domain.distributions.site_lists import HANDED

SITE_TIME = ZoneInfo("Africa/Casablanca")  # slots are hours of the sites' local time
CHUNK = 1_000
Slot = tuple[date, int]


def plan_of(engine: Engine, campaign_id: str, site_id: str) -> dict[str, Any] | None:
    p = slot_plans
    stmt = select(p).where(p.c.campaign_id == campaign_id, p.c.site_id == site_id)
    with engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    return None if row is None else dict(row)


def local_slot(moment: datetime) -> Slot:
    """The site-time (day, hour) of a stored (naive UTC) moment."""
    local = moment.replace(tzinfo=UTC).astimezone(SITE_TIME)
    return local.date(), local.hour


def slot_figures(engine: Engine, campaign_id: str, site_id: str) -> dict[str, Any] | None:
    """The plan and its slots in order (and any other hour someone was served in), each with
    the site's safe capacity and the households expected, served (of those expected) and out
    of slot (served then, holding another slot or none), and all those served in that hour
    against the capacity; None without a plan."""
    plan = plan_of(engine, campaign_id, site_id)
    if plan is None:
        return None
    held = _held(engine, campaign_id, site_id)
    served = _served_at(engine, campaign_id, site_id)
    expected, served_in_slot = Counter(held.values()), Counter[Slot]()
    in_hour, out_of_slot = Counter[Slot](), Counter[Slot]()
    for household_id, when in served.items():
        in_hour[when] += 1
        if held.get(household_id) == when:
            served_in_slot[when] += 1
        else:
            out_of_slot[when] += 1
    capacity = plan["per_hour"]
    planned = {(date.fromisoformat(d), h) for d in plan["days"]
               for h in range(plan["opens_at"], plan["closes_at"])}  # fmt: skip
    rows = []
    for slot in sorted(planned | set(in_hour) | set(expected)):
        rows.append({"day": slot[0], "hour": slot[1], "planned": slot in planned,
                     "capacity": capacity, "expected": expected[slot],
                     "served": served_in_slot[slot], "out_of_slot": out_of_slot[slot],
                     "served_in_hour": in_hour[slot],
                     "over_capacity": in_hour[slot] > capacity})  # fmt: skip
    peak = max((r["served_in_hour"] for r in rows), default=0)
    return plan | {
        "slots": rows,
        "expected": len(held),
        "served": sum(served_in_slot.values()),
        "out_of_slot": sum(out_of_slot.values()),
        "peak_served_per_hour": peak,
        "over_capacity": peak > capacity,
    }


def current_slot(
    engine: Engine, campaign_id: str, site_id: str, now: datetime
) -> dict[str, Any] | None:
    """The slot under way at `now` (site time), with who it expects and how many of them
    were served and have not come yet; None when no slot is under way."""
    plan = plan_of(engine, campaign_id, site_id)
    if plan is None:
        return None
    day, hour = local_slot(now.astimezone(UTC).replace(tzinfo=None))
    if day.isoformat() not in plan["days"] or not plan["opens_at"] <= hour < plan["closes_at"]:
        return None
    held = _held(engine, campaign_id, site_id)
    expected = sorted(h for h, slot in held.items() if slot == (day, hour))
    served = _served_at(engine, campaign_id, site_id, among=expected)
    came = [h for h in expected if h in served]
    households = [{"household_id": h, "served": h in served} for h in expected]
    return {"day": day, "hour": hour, "capacity": plan["per_hour"], "expected": len(expected),
            "served": len(came), "not_yet_come": len(expected) - len(came),
            "households": households}  # fmt: skip


def slots_of_household(engine: Engine, household_id: str) -> list[dict[str, Any]]:
    """The slots a household holds, one per campaign."""
    a = slot_assignments
    stmt = (
        select(a.c.campaign_id, a.c.site_id, a.c.day, a.c.hour)
        .where(a.c.household_id == household_id)
        .order_by(a.c.day, a.c.hour, a.c.campaign_id)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def profiles_at(engine: Engine, site_id: str) -> Iterator[list[dict[str, Any]]]:
    """The anonymous profiles of the households expected at the site (not erased), in chunks
    by id: what an offer to the site's appointments writer carries."""
    h = households
    stmt = select(h.c.household_id, h.c.region_code, h.c.groups, h.c.precarity_score).where(
        h.c.site_id == site_id, h.c.erased.is_(False)
    )
    last: str | None = None
    while True:
        page = stmt if last is None else stmt.where(h.c.household_id > last)
        with engine.connect() as conn:
            rows = conn.execute(page.order_by(h.c.household_id).limit(CHUNK)).mappings().all()
        if not rows:
            return
        last = rows[-1]["household_id"]
        yield [dict(r) for r in rows]


def _held(engine: Engine, campaign_id: str, site_id: str) -> dict[str, Slot]:
    a = slot_assignments
    stmt = select(a.c.household_id, a.c.day, a.c.hour).where(
        a.c.campaign_id == campaign_id, a.c.site_id == site_id
    )
    with engine.connect() as conn:
        return {h: (day, hour) for h, day, hour in conn.execute(stmt)}


def _served_at(
    engine: Engine, campaign_id: str, site_id: str, among: list[str] | None = None
) -> dict[str, Slot]:
    """Each household's first counted basket of the campaign handed at the site (with
    `among`, those households' first, at any site): its site-time (day, hour)."""
    d = distributions
    stmt = (
        select(d.c.household_id, d.c.site_id, d.c.occurred_at)
        .where(d.c.campaign_id == campaign_id, d.c.status.in_(HANDED))
        .order_by(d.c.occurred_at, d.c.distribution_id)
    )
    if among is None:
        stmt = stmt.where(d.c.site_id == site_id)
    else:
        stmt = stmt.where(d.c.household_id.in_(among))
    first: dict[str, Slot] = {}
    with engine.connect() as conn:
        for household_id, _, occurred_at in conn.execute(stmt):
            first.setdefault(household_id, local_slot(occurred_at))
    return first
