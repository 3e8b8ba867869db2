"""an import counts the households whose situation it updated

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("household_imports") as batch:
        batch.add_column(sa.Column("updated", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("household_imports") as batch:
        batch.drop_column("updated")
