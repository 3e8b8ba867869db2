"""a campaign's areas may change going forward: each change, in order

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("area_changes", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("campaigns", "area_changes")
