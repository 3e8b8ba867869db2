"""a campaign may give households of at least a size more than the others

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaigns", sa.Column("larger_households", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("campaigns", "larger_households")
