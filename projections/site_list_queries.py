"""The households a distribution site expects in a campaign, and how each stands there.

A site expects the households assigned to it (their `site_id`), not erased, that the
campaign's current rules admit. Read in household-id order, a chunk at a time, filtered
here by the same eligibility the deciders use, so a page costs what the site's share of the
registry costs, never the whole registry's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from projections.paging import Page, Paging, Sort, decode, encode
from projections.tables import distributions, households, locations
from projections.tables import site_counts as site_count_rows
from services.domain.distributions.eligibility import CampaignTerms, Profile, eligibility
from services.domain.distributions.site_lists import HANDED, STATUSES, SiteStatus, status_of

CHUNK = 500
_ORDER = [Sort(households.c.household_id, "household_id")]


def expected_at(
    engine: Engine,
    campaign: CampaignTerms,
    site_id: str,
    paging: Paging,
    status: SiteStatus | None = None,
) -> Page:
    """A page of the site's expected households (with `status`, only those), each with its
    size, status, and when and where its first counted basket was handed."""
    found: list[dict[str, Any]] = []
    after = decode(paging.cursor, _ORDER)[0] if paging.cursor else None
    with engine.connect() as conn:
        for household in _expected(conn, campaign, site_id, after):
            if status is None or household["status"] == status:
                found.append(household)
            if paging.limit is not None and len(found) > paging.limit:
                shown = found[: paging.limit]
                return Page(shown, encode([shown[-1]["household_id"]]))
    return Page(found)


def site_counts(engine: Engine, campaign: CampaignTerms) -> list[dict[str, Any]]:
    """Per distribution site of the campaign's regions (every site when it covers all), the
    households it expects, by status, as the registry projection counts them."""
    loc, n = locations, site_count_rows
    counted = [n.c[k] for k in ("expected", *STATUSES)]
    stmt = (
        select(
            loc.c.location_id,
            loc.c.name,
            loc.c.region_code,
            loc.c.province_code,
            *(func.coalesce(c, 0).label(c.name) for c in counted),
        )
        .outerjoin(
            n, (n.c.site_id == loc.c.location_id) & (n.c.campaign_id == campaign.campaign_id)
        )
        .where(loc.c.kind == "site")
    )
    if campaign.region_codes:
        stmt = stmt.where(loc.c.region_code.in_(campaign.region_codes))
    with engine.connect() as conn:
        return [
            dict(r) | {c.name: int(r[c.name]) for c in counted}
            for r in conn.execute(stmt.order_by(loc.c.location_id)).mappings()
        ]


def _expected(
    conn: Connection, campaign: CampaignTerms, site_id: str, after: str | None
) -> Iterator[dict[str, Any]]:
    condition = households.c.site_id == site_id
    if after is not None:
        condition = condition & (households.c.household_id > after)
    for chunk in _eligible(conn, campaign, condition):
        ids = [r["household_id"] for r in chunk]
        statuses = _statuses(conn, campaign.campaign_id, ids)
        first = _first_handed(conn, campaign.campaign_id, ids)
        for row in chunk:
            handed = first.get(row["household_id"], {})
            yield {
                "household_id": row["household_id"],
                "size": row["size"],
                "province_code": row["province_code"],
                "status": status_of(statuses.get(row["household_id"], [])),
                "served_at": handed.get("occurred_at"),
                "served_site_id": handed.get("site_id"),
            }


def _eligible(
    conn: Connection, campaign: CampaignTerms, condition: Any
) -> Iterator[list[dict[str, Any]]]:
    """The households matching `condition` that the campaign's rules admit, in chunks by
    id (read a chunk at a time by keyset: no cursor stays open while a chunk is used)."""
    h = households
    columns = (h.c.household_id, h.c.site_id, h.c.size, h.c.region_code, h.c.province_code,
               h.c.groups, h.c.precarity_score)  # fmt: skip
    stmt = select(*columns).where(condition, h.c.erased.is_(False))
    if campaign.region_codes:
        stmt = stmt.where(h.c.region_code.in_(campaign.region_codes))
    last: str | None = None
    while True:
        page = stmt if last is None else stmt.where(h.c.household_id > last)
        rows = conn.execute(page.order_by(h.c.household_id).limit(CHUNK)).mappings().all()
        if not rows:
            return
        last = rows[-1]["household_id"]
        yield [dict(r) for r in rows if eligibility(_profile(r), campaign)[0]]


def _profile(row: Any) -> Profile:
    return Profile(row["region_code"], row["province_code"], tuple(row["groups"]),
                   row["precarity_score"])  # fmt: skip


def _statuses(conn: Connection, campaign_id: str, ids: Collection[str]) -> dict[str, list[str]]:
    d = distributions
    stmt = select(d.c.household_id, d.c.status).where(
        d.c.campaign_id == campaign_id, d.c.household_id.in_(ids)
    )
    found: dict[str, list[str]] = defaultdict(list)
    for household_id, status in conn.execute(stmt):
        found[household_id].append(status)
    return found


def _first_handed(
    conn: Connection, campaign_id: str, ids: Collection[str]
) -> dict[str, dict[str, datetime | str]]:
    d = distributions
    stmt = (
        select(d.c.household_id, d.c.occurred_at, d.c.site_id)
        .where(d.c.campaign_id == campaign_id, d.c.household_id.in_(ids), d.c.status.in_(HANDED))
        .order_by(d.c.occurred_at, d.c.distribution_id)
    )
    first: dict[str, dict[str, datetime | str]] = {}
    for row in conn.execute(stmt).mappings():
        first.setdefault(row["household_id"], dict(row))
    return first


def handed_quantities(engine: Engine, campaign_id: str, ids: Collection[str]) -> dict[str, int]:
    """What each of these households has received in the campaign, in counted baskets."""
    d = distributions
    stmt = (
        select(d.c.household_id, func.sum(d.c.quantity))
        .where(d.c.campaign_id == campaign_id, d.c.household_id.in_(ids), d.c.status.in_(HANDED))
        .group_by(d.c.household_id)
    )
    with engine.connect() as conn:
        return {household_id: int(total) for household_id, total in conn.execute(stmt)}
