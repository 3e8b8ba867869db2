"""the auditor's history: every event under each subject it is about

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column("subject_kind", sa.String(16), primary_key=True),
        sa.Column("subject_id", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("type", sa.String(48), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("correlation_id", sa.String(200), nullable=False),
        sa.Column("causation_id", sa.String(200), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_history_in_order",
        "history",
        ["subject_kind", "subject_id", "occurred_at", "event_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_history_in_order", table_name="history")
    op.drop_table("history")
