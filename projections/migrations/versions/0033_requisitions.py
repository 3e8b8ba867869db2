"""requisitions and their lines; a transfer names the requisition it carries

Revision ID: 0033
Revises: 0032

No transfer carried a requisition before this revision, so the new column starts empty.
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requisitions",
        sa.Column("requisition_id", sa.String(64), primary_key=True),
        sa.Column("requesting_location_id", sa.String(64), nullable=False),
        sa.Column("supplying_location_id", sa.String(64), nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("transfer_id", sa.String(64)),
        sa.Column("reason", sa.String(500)),
        sa.Column("refusal", sa.JSON()),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("raised_by", sa.String(64), nullable=False),
        sa.Column("decided_at", sa.DateTime()),
        sa.Column("closed_at", sa.DateTime()),
    )
    for column in ("requesting_location_id", "supplying_location_id", "status"):
        op.create_index(f"ix_requisitions_{column}", "requisitions", [column])
    op.create_index("ix_requisitions_latest", "requisitions", ["raised_at", "requisition_id"])
    op.create_table(
        "requisition_lines",
        sa.Column("requisition_id", sa.String(64), primary_key=True),
        sa.Column("item_id", sa.String(64), primary_key=True),
        sa.Column("requested", sa.BigInteger(), nullable=False),
        sa.Column("approved", sa.BigInteger(), nullable=False),
        sa.Column("dispatched", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
    )
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("requisition_id", sa.String(64), nullable=True))
        batch.create_index("ix_transfers_requisition_id", ["requisition_id"])


def downgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.drop_index("ix_transfers_requisition_id")
        batch.drop_column("requisition_id")
    op.drop_table("requisition_lines")
    op.drop_index("ix_requisitions_latest", table_name="requisitions")
    for column in ("requesting_location_id", "supplying_location_id", "status"):
        op.drop_index(f"ix_requisitions_{column}", table_name="requisitions")
    op.drop_table("requisitions")
