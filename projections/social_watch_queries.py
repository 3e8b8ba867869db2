"""The counts behind the social watch, as the registry projection keeps them (rows per area,
never per household)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, literal, select, union_all

from projections.queries import fetch_all
from projections.tables import (
    coverage_counts,
    coverage_group_counts,
    registry_counts,
    registry_months,
)


def registered(engine: Engine) -> list[dict[str, Any]]:
    """Households and people registered per region, province and target group ('' for
    every household)."""
    r = registry_counts
    stmt = (
        select(
            r.c.region_code,
            r.c.province_code,
            r.c.target_group,
            func.sum(r.c.households).label("households"),
            func.sum(r.c.people).label("people"),
        )
        .group_by(r.c.region_code, r.c.province_code, r.c.target_group)
        .order_by(r.c.region_code, r.c.province_code, r.c.target_group)
    )
    return [row | {"households": int(row["households"]), "people": int(row["people"])}
            for row in fetch_all(engine, stmt)]  # fmt: skip


def precarity(engine: Engine) -> list[dict[str, Any]]:
    """Households per region, province and precarity band (-1: no score)."""
    r = registry_counts
    stmt = (
        select(r.c.region_code, r.c.province_code, r.c.score_band, r.c.households)
        .where(r.c.target_group == "")
        .order_by(r.c.region_code, r.c.province_code, r.c.score_band)
    )
    return fetch_all(engine, stmt)


def months(engine: Engine) -> list[dict[str, Any]]:
    """Per month, region and province: households registered, assessments made, and the
    sum of their scores (in hundredths) over those that had one."""
    m = registry_months
    stmt = (
        select(
            m.c.month,
            m.c.region_code,
            m.c.province_code,
            m.c.registered,
            m.c.assessed,
            m.c.scored,
            m.c.score_hundredths,
        )
        .where(m.c.target_group == "")
        .order_by(m.c.region_code, m.c.province_code, m.c.month)
    )
    return fetch_all(engine, stmt)


def reach(engine: Engine, campaign_id: str) -> list[dict[str, Any]]:
    """Per region, province and target group ('' for every household): the campaign's
    eligible and reached households."""
    c, g = coverage_counts, coverage_group_counts
    every = select(
        c.c.region_code,
        c.c.province_code,
        literal("").label("target_group"),
        c.c.eligible_households,
        c.c.reached_households,
    ).where(c.c.campaign_id == campaign_id)
    grouped = select(
        g.c.region_code, g.c.province_code, g.c.target_group, g.c.eligible_households,
        g.c.reached_households,
    ).where(g.c.campaign_id == campaign_id)  # fmt: skip
    return fetch_all(engine, union_all(every, grouped))
