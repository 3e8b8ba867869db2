"""coverage kept as counts per campaign × region × province, with each campaign's rules

Revision ID: 0009
Revises: 0008

The registry projection fills them: it now also reads the reference stream from its start,
and each campaign it meets is counted once from the households and distributions already
there, so a read model upgraded in place gets its counts without a rebuild.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage_terms",
        sa.Column("campaign_id", sa.String(length=64), primary_key=True),
        sa.Column("region_codes", sa.JSON(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("max_precarity_score", sa.Float()),
    )
    op.create_table(
        "coverage_counts",
        sa.Column("campaign_id", sa.String(length=64), primary_key=True),
        sa.Column("region_code", sa.String(length=32), primary_key=True),
        sa.Column("province_code", sa.String(length=32), primary_key=True),
        sa.Column("eligible_households", sa.BigInteger(), nullable=False),
        sa.Column("reached_households", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("coverage_counts")
    op.drop_table("coverage_terms")
