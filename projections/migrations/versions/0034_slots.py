"""appointments: slot plans per campaign and site, the slot each household holds, and the
outbox of the messages announcing them

Revision ID: 0034
Revises: 0033
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slot_plans",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("opens_at", sa.Integer(), nullable=False),
        sa.Column("closes_at", sa.Integer(), nullable=False),
        sa.Column("per_hour", sa.Integer(), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("closed_days", sa.JSON(), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "slot_assignments",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("household_id", sa.String(64), primary_key=True),
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
    )
    op.create_index(
        "ix_slot_assignments_slot", "slot_assignments", ["campaign_id", "site_id", "day", "hour"]
    )
    op.create_index("ix_slot_assignments_household", "slot_assignments", ["household_id"])
    op.create_table(
        "slot_messages",
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("household_id", sa.String(64), nullable=False),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_slot_messages_household_id", "slot_messages", ["household_id"])
    op.create_index("ix_slot_messages_created_at", "slot_messages", ["created_at"])


def downgrade() -> None:
    op.drop_table("slot_messages")
    op.drop_table("slot_assignments")
    op.drop_table("slot_plans")
