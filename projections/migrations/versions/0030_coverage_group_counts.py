"""coverage per target group: eligible and reached households and people per campaign ×
region × province × group

Revision ID: 0030
Revises: 0029

Filled from what was projected before, so a read model upgraded in place has it without a
rebuild: each counted campaign's rules, as `eligibility` reads them at this revision, judge
the households' rows (their groups and size as they stand); a household is reached in the
area of its first counted basket (by time, then id), in each of its groups.
"""

from collections import Counter
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

COUNTED = ("accepted", "exception")
terms = sa.table(
    "coverage_terms",
    sa.column("campaign_id", sa.String),
    sa.column("region_codes", sa.JSON),
    sa.column("groups", sa.JSON),
    sa.column("max_precarity_score", sa.Float),
)
households = sa.table(
    "households",
    sa.column("household_id", sa.String),
    sa.column("size", sa.Integer),
    sa.column("region_code", sa.String),
    sa.column("province_code", sa.String),
    sa.column("groups", sa.JSON),
    sa.column("precarity_score", sa.Float),
)
distributions = sa.table(
    "distributions",
    sa.column("distribution_id", sa.String),
    sa.column("campaign_id", sa.String),
    sa.column("household_id", sa.String),
    sa.column("region_code", sa.String),
    sa.column("province_code", sa.String),
    sa.column("status", sa.String),
    sa.column("occurred_at", sa.DateTime),
)


def upgrade() -> None:
    op.create_table(
        "coverage_group_counts",
        sa.Column("campaign_id", sa.String(length=64), primary_key=True),
        sa.Column("region_code", sa.String(length=32), primary_key=True),
        sa.Column("province_code", sa.String(length=32), primary_key=True),
        sa.Column("target_group", sa.String(length=32), primary_key=True),
        sa.Column("eligible_households", sa.BigInteger(), nullable=False),
        sa.Column("eligible_people", sa.BigInteger(), nullable=False),
        sa.Column("reached_households", sa.BigInteger(), nullable=False),
        sa.Column("reached_people", sa.BigInteger(), nullable=False),
    )
    conn = op.get_bind()
    counts: Counter[tuple[tuple[str, str, str, str], str]] = Counter()
    counted = [dict(c) for c in conn.execute(sa.select(terms)).mappings()]
    standing: dict[str, Any] = {}
    for household in conn.execute(sa.select(households)).mappings():
        standing[household["household_id"]] = household
        for campaign in counted:
            if _eligible(household, campaign):
                for group in set(household["groups"]):
                    key = (campaign["campaign_id"], household["region_code"],
                           household["province_code"] or "", group)  # fmt: skip
                    counts[(key, "eligible_households")] += 1
                    counts[(key, "eligible_people")] += household["size"]
    d = distributions
    given = (
        sa.select(d)
        .where(d.c.campaign_id.in_([c["campaign_id"] for c in counted]), d.c.status.in_(COUNTED))
        .order_by(d.c.occurred_at, d.c.distribution_id)
    )
    reached: set[tuple[str, str]] = set()
    for basket in conn.execute(given).mappings():
        pair = (basket["campaign_id"], basket["household_id"])
        served = standing.get(basket["household_id"])
        if pair in reached or served is None:
            reached.add(pair)
            continue
        reached.add(pair)
        for group in set(served["groups"]):
            key = (basket["campaign_id"], basket["region_code"], basket["province_code"] or "",
                   group)  # fmt: skip
            counts[(key, "reached_households")] += 1
            counts[(key, "reached_people")] += served["size"]
    rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for (key, column), n in counts.items():
        row = rows.setdefault(key, {
            "campaign_id": key[0], "region_code": key[1], "province_code": key[2],
            "target_group": key[3], "eligible_households": 0, "eligible_people": 0,
            "reached_households": 0, "reached_people": 0,
        })  # fmt: skip
        row[column] += n
    if rows:
        table = sa.table(
            "coverage_group_counts", *(sa.column(c) for c in next(iter(rows.values())))
        )
        conn.execute(sa.insert(table), list(rows.values()))


def _eligible(household: Any, campaign: Any) -> bool:
    """The campaign's rules as `eligibility` read them at this revision."""
    regions, groups = campaign["region_codes"], campaign["groups"]
    if regions and household["region_code"] not in regions:
        return False
    if groups and not set(groups) & set(household["groups"]):
        return False
    limit, score = campaign["max_precarity_score"], household["precarity_score"]
    return limit is None or (score is not None and score <= limit)


def downgrade() -> None:
    op.drop_table("coverage_group_counts")
