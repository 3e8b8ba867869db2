"""site counts gain the quantity their expected households are entitled to, in all and of
those still waiting (the quantity still due at the site)

Revision ID: 0035
Revises: 0034

Filled from what was projected before, so a read model upgraded in place has them without a
rebuild: the households 0032 counts, each judged the same way, entitled by its size as
`entitlement` reads it at this revision.
"""

from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

terms = sa.table(
    "coverage_terms",
    sa.column("campaign_id", sa.String),
    sa.column("region_codes", sa.JSON),
    sa.column("groups", sa.JSON),
    sa.column("max_precarity_score", sa.Float),
    sa.column("quantity_per_household", sa.BigInteger),
    sa.column("larger_households", sa.JSON),
)
households = sa.table(
    "households",
    sa.column("household_id", sa.String),
    sa.column("site_id", sa.String),
    sa.column("erased", sa.Boolean),
    sa.column("region_code", sa.String),
    sa.column("groups", sa.JSON),
    sa.column("precarity_score", sa.Float),
    sa.column("size", sa.Integer),
)
distributions = sa.table(
    "distributions",
    sa.column("campaign_id", sa.String),
    sa.column("household_id", sa.String),
    sa.column("status", sa.String),
)
site_counts = sa.table(
    "site_counts",
    sa.column("campaign_id", sa.String),
    sa.column("site_id", sa.String),
    sa.column("entitled_quantity", sa.BigInteger),
    sa.column("due_quantity", sa.BigInteger),
)


def upgrade() -> None:
    with op.batch_alter_table("site_counts") as batch:
        for name in ("entitled_quantity", "due_quantity"):
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))
    conn = op.get_bind()
    campaigns = [dict(c) for c in conn.execute(sa.select(terms)).mappings()]
    if not campaigns:
        return
    records: dict[tuple[str, str], set[str]] = defaultdict(set)
    for d in conn.execute(sa.select(distributions)).mappings():
        records[(d["campaign_id"], d["household_id"])].add(d["status"])
    h = households
    assigned = sa.select(h).where(h.c.site_id.is_not(None), h.c.erased.is_(False))
    sums: Counter[tuple[str, str, str]] = Counter()
    for household in conn.execute(assigned).mappings():
        for campaign in campaigns:
            if _eligible(household, campaign):
                key = (campaign["campaign_id"], household["site_id"])
                entitled = _entitlement(campaign, household["size"])
                sums[(*key, "entitled_quantity")] += entitled
                held = records.get((campaign["campaign_id"], household["household_id"]), set())
                if _waiting(held):
                    sums[(*key, "due_quantity")] += entitled
    s = site_counts
    for campaign_id, site_id in {(c, site) for c, site, _ in sums}:
        values = {n: sums[(campaign_id, site_id, n)] for n in ("entitled_quantity", "due_quantity")}
        where = (s.c.campaign_id == campaign_id) & (s.c.site_id == site_id)
        conn.execute(sa.update(s).where(where).values(**values))


def _eligible(household: Any, campaign: Any) -> bool:
    """The campaign's rules as `eligibility` read them at this revision."""
    regions, groups = campaign["region_codes"], campaign["groups"]
    if regions and household["region_code"] not in regions:
        return False
    if groups and not set(groups) & set(household["groups"]):
        return False
    limit, score = campaign["max_precarity_score"], household["precarity_score"]
    return limit is None or (score is not None and score <= limit)


def _entitlement(campaign: Any, size: int | None) -> int:
    """`entitlement` at this revision."""
    larger = campaign["larger_households"]
    if larger is not None and size is not None and size >= larger["min_size"]:
        return int(larger["quantity"])
    return int(campaign["quantity_per_household"])


def _waiting(records: set[str]) -> bool:
    """`status_of` says waiting at this revision: no duplicate waits, no basket counts."""
    return not records & {"duplicate", "accepted", "exception"}


def downgrade() -> None:
    with op.batch_alter_table("site_counts") as batch:
        batch.drop_column("due_quantity")
        batch.drop_column("entitled_quantity")
