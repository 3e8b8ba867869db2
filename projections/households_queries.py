"""Read-side queries over the aid registry: households, campaigns, distributions, coverage."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, or_, select

from projections.paging import EVERYTHING, Page, Paging, Sort, read_page
from projections.queries import fetch_all, fetch_each_planned, fetch_one
from projections.sql import among
from projections.tables import (
    campaigns,
    coverage_counts,
    coverage_group_counts,
    distributions,
    household_cards,
    households,
    locations,
)


def household(engine: Engine, household_id: str) -> dict[str, Any] | None:
    return fetch_one(engine, select(households).where(households.c.household_id == household_id))


def current_card(engine: Engine, household_id: str) -> dict[str, Any] | None:
    """The household's card that works now, if it was given one."""
    c = household_cards.c
    query = select(household_cards).where(c.household_id == household_id, c.replaced_at.is_(None))
    return fetch_one(engine, query.order_by(c.card_number.desc()).limit(1))


def card(engine: Engine, household_id: str, card_number: int) -> dict[str, Any] | None:
    """One of the household's cards, current or replaced."""
    c = household_cards.c
    query = select(household_cards).where(
        c.household_id == household_id, c.card_number == card_number
    )
    return fetch_one(engine, query)


def area_names(
    engine: Engine, region_code: str, province_code: str | None
) -> tuple[str | None, str | None]:
    """The names of a region and a province, as the locations registered there give them."""
    loc = locations.c
    region = fetch_all(
        engine, select(loc.region_name).where(loc.region_code == region_code).limit(1)
    )
    province = (
        fetch_all(
            engine,
            select(loc.province_name)
            .where(loc.province_code == province_code, loc.province_name.is_not(None))
            .limit(1),
        )
        if province_code
        else []
    )
    return (
        region[0]["region_name"] if region else None,
        province[0]["province_name"] if province else None,
    )


def cards_of(engine: Engine, household_ids: Collection[str]) -> dict[tuple[str, int], dict]:
    """Every card of many households at once, by (household id, card number)."""
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(household_ids))):
        stmt = select(household_cards).where(household_cards.c.household_id.in_(chunk))
        found.update(((r["household_id"], r["card_number"]), r) for r in fetch_all(engine, stmt))
    return found


def current_cards(engine: Engine, household_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """The card that works now of each of these households that has one, by household id."""
    c = household_cards.c
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(household_ids))):
        stmt = select(household_cards).where(c.household_id.in_(chunk), c.replaced_at.is_(None))
        found.update((r["household_id"], r) for r in fetch_all(engine, stmt))
    return found


def distribution(engine: Engine, distribution_id: str) -> dict[str, Any] | None:
    d = distributions
    return fetch_one(engine, select(d).where(d.c.distribution_id == distribution_id))


def household_by_pseudonym(engine: Engine, pseudonym: str) -> dict[str, Any] | None:
    """The household an identifier's pseudonym points to (erased households are not found)."""
    h = households
    return fetch_one(
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


def households_by_id(engine: Engine, ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """Many households at once, by id (those not found are absent)."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(ids))):
        stmt = select(households).where(among(engine, households.c.household_id, chunk))
        [rows] = fetch_each_planned(engine, [stmt])
        found.update((row["household_id"], row) for row in rows)
    return found


def households_by_pseudonym(
    engine: Engine, pseudonyms: Collection[str]
) -> dict[str, dict[str, Any]]:
    """As `household_by_pseudonym` for many pseudonyms at once (those not found are absent).

    One indexed lookup per column: the three IN lists joined by OR made PostgreSQL scan the
    whole table (25 ms a batch at 60,000 households, against 11 ms for the three)."""
    h = households
    found: dict[str, dict[str, Any]] = {}
    columns = ("identity", "national_id_pseudonym", "registry_pseudonym")
    for chunk in _chunks(sorted(set(pseudonyms))):
        lookups = [
            select(h).where(among(engine, h.c[c], chunk), h.c.erased.is_(False)) for c in columns
        ]
        for column, rows in zip(columns, fetch_each_planned(engine, lookups), strict=True):
            for row in rows:
                found.setdefault(row[column], row)
    return found


def _chunks(keys: list[str], size: int = 500) -> list[list[str]]:
    return [keys[i : i + size] for i in range(0, len(keys), size)]


def campaign(engine: Engine, campaign_id: str) -> dict[str, Any] | None:
    return fetch_one(engine, select(campaigns).where(campaigns.c.campaign_id == campaign_id))


def all_campaigns(engine: Engine, paging: Paging = EVERYTHING) -> Page:
    """Campaigns, the latest to start first."""
    c = campaigns
    latest_first = [
        Sort(c.c.starts_on, "starts_on", descending=True),
        Sort(c.c.campaign_id, "campaign_id", descending=True),
    ]
    return read_page(engine, select(c), latest_first, paging)


def campaigns_due(engine: Engine, today: date) -> list[dict[str, Any]]:
    """Campaigns neither closed nor ended before today, with what their eligible households
    are entitled to and what was handed, over all their areas (0 where none is counted)."""
    c, n = campaigns, coverage_counts
    counted = (
        select(
            n.c.campaign_id,
            func.sum(n.c.entitled_quantity).label("entitled_quantity"),
            func.sum(n.c.quantity).label("quantity"),
        )
        .group_by(n.c.campaign_id)
        .subquery()
    )
    stmt = (
        select(
            c.c.campaign_id,
            c.c.name,
            c.c.item_id,
            func.coalesce(counted.c.entitled_quantity, 0).label("entitled_quantity"),
            func.coalesce(counted.c.quantity, 0).label("quantity"),
        )
        .outerjoin(counted, counted.c.campaign_id == c.c.campaign_id)
        .where(c.c.closed_on.is_(None), c.c.ends_on >= today)
        .order_by(c.c.item_id, c.c.starts_on, c.c.campaign_id)
    )
    return [row | {k: int(row[k]) for k in ("entitled_quantity", "quantity")}
            for row in fetch_all(engine, stmt)]  # fmt: skip


def received(engine: Engine, household_id: str, campaign_id: str) -> list[dict[str, Any]]:
    d = distributions
    return fetch_all(
        engine,
        select(d)
        .where(d.c.household_id == household_id, d.c.campaign_id == campaign_id)
        .order_by(d.c.occurred_at),
    )


def duplicates(
    engine: Engine,
    campaign_id: str | None = None,
    paging: Paging = EVERYTHING,
    resolved: bool = False,
) -> Page:
    """Flagged duplicates waiting for a coordinator or, `resolved`, those resolved already
    (status `voided_duplicate`, `exception`, or `voided` for an exception voided since); each
    with the site and time of the household's first distribution, when it is known."""
    d, first = distributions, distributions.alias("first_distribution")
    stmt = select(
        d,
        first.c.site_id.label("first_site_id"),
        first.c.occurred_at.label("first_occurred_at"),
    ).select_from(
        d.outerjoin(
            first,
            (first.c.distribution_id == d.c.first_distribution_id)
            # flagged with its own id: the first was an erased household's, never named
            & (first.c.distribution_id != d.c.distribution_id),
        )
    )
    if resolved:
        stmt = stmt.where(d.c.first_distribution_id.is_not(None), d.c.status != "duplicate")
    else:
        stmt = stmt.where(d.c.status == "duplicate")
    if campaign_id:
        stmt = stmt.where(d.c.campaign_id == campaign_id)
    order = [Sort(d.c.occurred_at, "occurred_at"), Sort(d.c.distribution_id, "distribution_id")]
    return read_page(engine, stmt, order, paging)


def coverage(engine: Engine, campaign_id: str) -> list[dict[str, Any]]:
    """Eligible households and the quantity they are entitled to, reached households and
    the quantity handed, per region × province, as counted by the registry projection (one
    row per area, whatever the size of the registry)."""
    c = coverage_counts
    stmt = (
        select(
            c.c.region_code,
            c.c.province_code,
            c.c.eligible_households,
            c.c.entitled_quantity,
            c.c.reached_households,
            c.c.quantity,
        )
        .where(c.c.campaign_id == campaign_id)
        .order_by(c.c.region_code, c.c.province_code)
    )
    return [
        row | {"province_code": row["province_code"] or None} for row in fetch_all(engine, stmt)
    ]


def coverage_by_group(engine: Engine, campaign_id: str) -> list[dict[str, Any]]:
    """The same per target group over all the campaign's areas: eligible and reached
    households and people (a household counts in each of its groups)."""
    g = coverage_group_counts
    counts = ("eligible_households", "eligible_people", "reached_households", "reached_people")
    stmt = (
        select(g.c.target_group, *(func.sum(g.c[n]).label(n) for n in counts))
        .where(g.c.campaign_id == campaign_id)
        .group_by(g.c.target_group)
        .order_by(g.c.target_group)
    )
    return [row | {n: int(row[n]) for n in counts} for row in fetch_all(engine, stmt)]
