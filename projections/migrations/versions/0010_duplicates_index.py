"""the flagged duplicates are listed by a partial index, not a scan of every distribution

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DUPLICATE = sa.text("status = 'duplicate'")


def upgrade() -> None:
    op.create_index(
        "ix_distributions_duplicates",
        "distributions",
        ["occurred_at", "distribution_id"],
        postgresql_where=DUPLICATE,
        sqlite_where=DUPLICATE,
    )


def downgrade() -> None:
    op.drop_index("ix_distributions_duplicates", table_name="distributions")
