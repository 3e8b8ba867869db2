"""ledger checkpoints: the signed heads of the hash chains, as published

Revision ID: 0036
Revises: 0035
"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoints",
        sa.Column("checkpoint_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
    )
    op.create_index("ix_ledger_checkpoints_issued_at", "ledger_checkpoints", ["issued_at"])


def downgrade() -> None:
    op.drop_index("ix_ledger_checkpoints_issued_at", table_name="ledger_checkpoints")
    op.drop_table("ledger_checkpoints")
