"""why a distribution was flagged: beyond the entitlement, or handed when its campaign no
longer ran

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("distributions", sa.Column("flag", sa.String(24), nullable=True))
    op.execute(
        "UPDATE distributions SET flag = 'beyond_entitlement' "
        "WHERE first_distribution_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_column("distributions", "flag")
