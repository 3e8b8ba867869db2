"""what kit lots hold of each donation, so a donor's goods are followed into kits

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kit_lots",
        sa.Column("kit_item_id", sa.String(64), primary_key=True),
        sa.Column("lot", sa.String(64), primary_key=True),
        sa.Column("kits", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "kit_lot_donations",
        sa.Column("kit_item_id", sa.String(64), primary_key=True),
        sa.Column("lot", sa.String(64), primary_key=True),
        sa.Column("donation_id", sa.String(64), primary_key=True),
        sa.Column("item_id", sa.String(64), primary_key=True),
        sa.Column("units", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_kit_lot_donations_donation", "kit_lot_donations", ["donation_id"])


def downgrade() -> None:
    op.drop_index("ix_kit_lot_donations_donation", table_name="kit_lot_donations")
    op.drop_table("kit_lot_donations")
    op.drop_table("kit_lots")
