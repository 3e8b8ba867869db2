"""a household may be expected at a distribution site

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("site_id", sa.String(64), nullable=True))
        batch.create_index("ix_households_site_id", ["site_id", "household_id"])


def downgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.drop_index("ix_households_site_id")
        batch.drop_column("site_id")
