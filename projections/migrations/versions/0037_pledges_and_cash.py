"""pledges, cash donations and purchases; the pledge a donation of goods fulfils

Revision ID: 0037
Revises: 0036
"""

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("donations") as batch:
        batch.add_column(sa.Column("pledge_id", sa.String(64), nullable=True))
    op.create_index("ix_donations_pledge_id", "donations", ["pledge_id"])
    op.create_table(
        "pledges",
        sa.Column("pledge_id", sa.String(64), primary_key=True),
        sa.Column("donor_id", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(64)),
        sa.Column("currency", sa.String(3)),
        sa.Column("pledged", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime()),
    )
    op.create_index("ix_pledges_donor_id", "pledges", ["donor_id"])
    op.create_index("ix_pledges_due_on", "pledges", ["due_on"])
    op.create_table(
        "cash_donations",
        sa.Column("donation_id", sa.String(64), primary_key=True),
        sa.Column("donor_id", sa.String(64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.Column("pledge_id", sa.String(64)),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_cash_donations_donor_id", "cash_donations", ["donor_id"])
    op.create_index("ix_cash_donations_pledge_id", "cash_donations", ["pledge_id"])
    op.create_table(
        "purchases",
        sa.Column("purchase_id", sa.String(64), primary_key=True),
        sa.Column("donation_id", sa.String(64), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("purchased_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_purchases_donation_id", "purchases", ["donation_id"])


def downgrade() -> None:
    op.drop_table("purchases")
    op.drop_table("cash_donations")
    op.drop_table("pledges")
    op.drop_index("ix_donations_pledge_id", table_name="donations")
    with op.batch_alter_table("donations") as batch:
        batch.drop_column("pledge_id")
