"""an erased household keeps no identity pseudonym: the column may be empty

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.alter_column("identity", existing_type=sa.String(length=64), nullable=True)
    op.execute("UPDATE households SET identity = NULL WHERE erased")


def downgrade() -> None:
    op.execute("UPDATE households SET identity = 'erased:' || household_id WHERE identity IS NULL")
    with op.batch_alter_table("households") as batch:
        batch.alter_column("identity", existing_type=sa.String(length=64), nullable=False)
