"""the distributions report kept as counts per campaign, day, site, item and area

Revision ID: 0011
Revises: 0010

Filled from the distributions already projected, so a read model upgraded in place has its
report without a rebuild; the registry projection keeps it from then on.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "distribution_days",
        sa.Column("campaign_id", sa.String(length=64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("site_id", sa.String(length=64), primary_key=True),
        sa.Column("item_id", sa.String(length=64), primary_key=True),
        sa.Column("region_code", sa.String(length=32), primary_key=True),
        sa.Column("province_code", sa.String(length=32), primary_key=True),
        sa.Column("households", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
    )
    day = (
        "CAST(occurred_at AS DATE)"
        if op.get_bind().dialect.name == "postgresql"
        else ("date(occurred_at)")
    )
    op.execute(
        "INSERT INTO distribution_days"
        f" SELECT campaign_id, {day}, site_id, item_id, region_code,"
        " coalesce(province_code, ''), count(DISTINCT household_id), sum(quantity)"
        " FROM distributions WHERE status = 'accepted'"
        f" GROUP BY campaign_id, {day}, site_id, item_id, region_code,"
        " coalesce(province_code, '')"
    )


def downgrade() -> None:
    op.drop_table("distribution_days")
