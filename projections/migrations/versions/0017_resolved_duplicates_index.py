"""the duplicates resolved already are listed by a partial index of the flagged records (a
few among millions), not a scan of every distribution

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

FLAGGED = sa.text("first_distribution_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_distributions_flagged",
        "distributions",
        ["occurred_at", "distribution_id"],
        postgresql_where=FLAGGED,
        sqlite_where=FLAGGED,
    )


def downgrade() -> None:
    op.drop_index("ix_distributions_flagged", table_name="distributions")
