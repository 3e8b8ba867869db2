"""an operation closes (the day it closed); a delivered convoy closes (when)

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("operations", sa.Column("closed_on", sa.Date(), nullable=True))
    op.add_column("deployments", sa.Column("closed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("deployments", "closed_at")
    op.drop_column("operations", "closed_on")
