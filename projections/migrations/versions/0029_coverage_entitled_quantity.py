"""coverage counts keep the quantity their eligible households are entitled to, and the
coverage terms what a campaign gives (its quantity per household, its larger households)

Revision ID: 0029
Revises: 0028

Filled from what was projected before, so a read model upgraded in place has it without a
rebuild: each campaign's terms take its quantities from its row in `campaigns` (the
reference projection reads the same stream; a term whose campaign row is missing takes 1, as
`CampaignOpened` refuses less). The entitled quantity of an area is its eligible households
times the quantity per household, plus, for a campaign that gives larger households more,
the difference for each eligible household of at least `min_size` members there: those are
found by judging the households' rows by the campaign's rules as they stand at this
revision (areas, groups, precarity ceiling), the same rules that counted them eligible.
"""

from collections import Counter
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
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
    sa.column("size", sa.Integer),
    sa.column("region_code", sa.String),
    sa.column("province_code", sa.String),
    sa.column("groups", sa.JSON),
    sa.column("precarity_score", sa.Float),
)
counts = sa.table(
    "coverage_counts",
    sa.column("campaign_id", sa.String),
    sa.column("region_code", sa.String),
    sa.column("province_code", sa.String),
    sa.column("entitled_quantity", sa.BigInteger),
)


def upgrade() -> None:
    with op.batch_alter_table("coverage_terms") as batch:
        batch.add_column(sa.Column("quantity_per_household", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("larger_households", sa.JSON(), nullable=True))
    with op.batch_alter_table("coverage_counts") as batch:
        batch.add_column(sa.Column("entitled_quantity", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE coverage_terms SET"
        " quantity_per_household = coalesce((SELECT c.quantity_per_household FROM campaigns c"
        " WHERE c.campaign_id = coverage_terms.campaign_id), 1),"
        " larger_households = (SELECT c.larger_households FROM campaigns c"
        " WHERE c.campaign_id = coverage_terms.campaign_id)"
    )
    op.execute(
        "UPDATE coverage_counts SET entitled_quantity = eligible_households * coalesce("
        "(SELECT t.quantity_per_household FROM coverage_terms t"
        " WHERE t.campaign_id = coverage_counts.campaign_id), 1)"
    )
    _add_larger_households(op.get_bind())
    with op.batch_alter_table("coverage_terms") as batch:
        batch.alter_column("quantity_per_household", nullable=False)
    with op.batch_alter_table("coverage_counts") as batch:
        batch.alter_column("entitled_quantity", nullable=False)


def _add_larger_households(conn: sa.Connection) -> None:
    """What each eligible household of a larger size is due beyond the quantity per household,
    added to its area."""
    found = sa.select(terms).where(terms.c.larger_households.is_not(None))
    for campaign in conn.execute(found).mappings().all():
        larger = campaign["larger_households"]
        if larger is None:  # a JSON null
            continue
        h = households
        them = sa.select(h).where(h.c.size >= larger["min_size"])
        if campaign["region_codes"]:
            them = them.where(h.c.region_code.in_(campaign["region_codes"]))
        larger_here: Counter[tuple[str, str]] = Counter()
        for household in conn.execute(them).mappings():
            if _eligible(household, campaign):
                larger_here[(household["region_code"], household["province_code"] or "")] += 1
        more = larger["quantity"] - campaign["quantity_per_household"]
        for (region, province), n in larger_here.items():
            conn.execute(
                sa.update(counts)
                .where(
                    counts.c.campaign_id == campaign["campaign_id"],
                    counts.c.region_code == region,
                    counts.c.province_code == province,
                )
                .values(entitled_quantity=counts.c.entitled_quantity + more * n)
            )


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
    with op.batch_alter_table("coverage_counts") as batch:
        batch.drop_column("entitled_quantity")
    with op.batch_alter_table("coverage_terms") as batch:
        batch.drop_column("larger_households")
        batch.drop_column("quantity_per_household")
