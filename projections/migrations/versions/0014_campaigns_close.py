"""a campaign may close before its end: the day it closed

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("closed_on", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("campaigns", "closed_on")
