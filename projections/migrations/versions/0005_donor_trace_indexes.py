"""indexes for the donor trace: stock-card lines and transfer lines by donation

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_stock_movements_donation_id", "stock_movements", ["donation_id"])
    op.create_index("ix_transfer_lines_donation_id", "transfer_lines", ["donation_id"])


def downgrade() -> None:
    op.drop_index("ix_transfer_lines_donation_id", table_name="transfer_lines")
    op.drop_index("ix_stock_movements_donation_id", table_name="stock_movements")
