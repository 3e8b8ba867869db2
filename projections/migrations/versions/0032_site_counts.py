"""site counts kept: per campaign and distribution site, the households it expects by status

Revision ID: 0032
Revises: 0031

Filled from what was projected before, so a read model upgraded in place has them without a
rebuild: every household assigned to a site and not erased, judged by each counted
campaign's rules as `eligibility` reads them at this revision; its status from its records
in the campaign as `status_of` reads them (flagged while a duplicate waits, served once a
basket counts, waiting before).
"""

from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

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
    sa.column("site_id", sa.String),
    sa.column("erased", sa.Boolean),
    sa.column("region_code", sa.String),
    sa.column("groups", sa.JSON),
    sa.column("precarity_score", sa.Float),
)
distributions = sa.table(
    "distributions",
    sa.column("campaign_id", sa.String),
    sa.column("household_id", sa.String),
    sa.column("status", sa.String),
)


def upgrade() -> None:
    op.create_table(
        "site_counts",
        sa.Column("campaign_id", sa.String(length=64), primary_key=True),
        sa.Column("site_id", sa.String(length=64), primary_key=True),
        sa.Column("expected", sa.BigInteger(), nullable=False),
        sa.Column("waiting", sa.BigInteger(), nullable=False),
        sa.Column("served", sa.BigInteger(), nullable=False),
        sa.Column("flagged", sa.BigInteger(), nullable=False),
    )
    conn = op.get_bind()
    campaigns = [dict(c) for c in conn.execute(sa.select(terms)).mappings()]
    if not campaigns:
        return
    records: dict[tuple[str, str], set[str]] = defaultdict(set)
    for d in conn.execute(sa.select(distributions)).mappings():
        records[(d["campaign_id"], d["household_id"])].add(d["status"])
    h = households
    assigned = sa.select(h).where(h.c.site_id.is_not(None), h.c.erased.is_(False))
    counts: Counter[tuple[str, str, str]] = Counter()
    for household in conn.execute(assigned).mappings():
        for campaign in campaigns:
            if _eligible(household, campaign):
                held = records.get((campaign["campaign_id"], household["household_id"]), set())
                status = _status(held)
                counts[(campaign["campaign_id"], household["site_id"], status)] += 1
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for (campaign_id, site_id, status), n in counts.items():
        row = rows.setdefault((campaign_id, site_id), {
            "campaign_id": campaign_id, "site_id": site_id, "expected": 0, "waiting": 0,
            "served": 0, "flagged": 0,
        })  # fmt: skip
        row[status] += n
        row["expected"] += n
    if rows:
        table = sa.table("site_counts", *(sa.column(c) for c in next(iter(rows.values()))))
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


def _status(records: set[str]) -> str:
    """`status_of` at this revision."""
    if "duplicate" in records:
        return "flagged"
    return "served" if records & {"accepted", "exception"} else "waiting"


def downgrade() -> None:
    op.drop_table("site_counts")
