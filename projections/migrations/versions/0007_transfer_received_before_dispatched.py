"""a transfer's receipt may be projected before its dispatch (another partition)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.alter_column("dispatched_at", existing_type=sa.DateTime(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.alter_column("dispatched_at", existing_type=sa.DateTime(), nullable=False)
