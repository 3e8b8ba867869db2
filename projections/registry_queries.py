"""Read-side queries over the aid registry: households, campaigns, distributions, coverage."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Engine, or_, select

from projections.queries import fetch_all
from projections.tables import campaigns, distributions, households


def _first(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    return rows[0] if rows else None


def household(engine: Engine, household_id: str) -> dict[str, Any] | None:
    return _first(
        fetch_all(engine, select(households).where(households.c.household_id == household_id))
    )


def household_by_pseudonym(engine: Engine, pseudonym: str) -> dict[str, Any] | None:
    """The household an identifier's pseudonym points to (erased households are not found)."""
    h = households
    return _first(
        fetch_all(
            engine,
            select(h).where(
                or_(
                    h.c.identity == pseudonym,
                    h.c.national_id_pseudonym == pseudonym,
                    h.c.registry_pseudonym == pseudonym,
                ),
                h.c.erased.is_(False),
            ),
        )
    )


def campaign(engine: Engine, campaign_id: str) -> dict[str, Any] | None:
    return _first(
        fetch_all(engine, select(campaigns).where(campaigns.c.campaign_id == campaign_id))
    )


def all_campaigns(engine: Engine) -> list[dict[str, Any]]:
    return fetch_all(engine, select(campaigns).order_by(campaigns.c.starts_on.desc()))


def received(engine: Engine, household_id: str, campaign_id: str) -> list[dict[str, Any]]:
    d = distributions
    return fetch_all(
        engine,
        select(d)
        .where(d.c.household_id == household_id, d.c.campaign_id == campaign_id)
        .order_by(d.c.occurred_at),
    )


def duplicates(engine: Engine, campaign_id: str | None = None) -> list[dict[str, Any]]:
    d = distributions
    stmt = select(d).where(d.c.status == "duplicate")
    if campaign_id:
        stmt = stmt.where(d.c.campaign_id == campaign_id)
    return fetch_all(engine, stmt.order_by(d.c.occurred_at))


def coverage(engine: Engine, terms: dict[str, Any], is_eligible: Any) -> list[dict[str, Any]]:
    """Eligible and reached households and quantity per region × province."""
    h, d = households, distributions
    stmt = select(
        h.c.household_id, h.c.region_code, h.c.province_code, h.c.groups, h.c.precarity_score
    )
    if terms["region_codes"]:
        stmt = stmt.where(h.c.region_code.in_(terms["region_codes"]))
    areas: dict[tuple[str, str | None], dict[str, Any]] = defaultdict(
        lambda: {"eligible_households": 0, "reached_households": 0, "quantity": 0}
    )
    for row in fetch_all(engine, stmt):
        if is_eligible(row):
            areas[(row["region_code"], row["province_code"])]["eligible_households"] += 1
    reached = fetch_all(
        engine,
        select(d.c.household_id, d.c.region_code, d.c.province_code, d.c.quantity).where(
            d.c.campaign_id == terms["campaign_id"], d.c.status == "accepted"
        ),
    )
    seen: set[str] = set()
    for row in reached:
        area = areas[(row["region_code"], row["province_code"])]
        area["quantity"] += row["quantity"]
        if row["household_id"] not in seen:
            seen.add(row["household_id"])
            area["reached_households"] += 1
    return [
        {"region_code": r, "province_code": p, **v}
        for (r, p), v in sorted(areas.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]
