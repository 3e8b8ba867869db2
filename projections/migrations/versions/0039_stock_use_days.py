"""the use per location, item and day, for the months of stock; transfers by receipt time,
for the discrepancy alerts

Revision ID: 0039
Revises: 0038

Filled from the stock-card lines already projected, so a read model upgraded in place has
the months of stock without a rebuild; the inventory projection keeps it from then on.
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

USES = "('StockDistributed', 'TransferDispatched', 'StockDistributionVoided', 'TransferReturned')"


def upgrade() -> None:
    op.create_table(
        "stock_use_days",
        sa.Column("location_id", sa.String(length=64), primary_key=True),
        sa.Column("item_id", sa.String(length=64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("used", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_stock_use_days_day", "stock_use_days", ["day"])
    op.create_index("ix_transfers_received_at", "transfers", ["received_at"])
    day = (
        "CAST(occurred_at AS DATE)"
        if op.get_bind().dialect.name == "postgresql"
        else "date(occurred_at)"
    )
    op.execute(
        "INSERT INTO stock_use_days (location_id, item_id, day, used)"
        f" SELECT location_id, item_id, {day}, -sum(quantity) FROM stock_movements"
        f" WHERE kind IN {USES} GROUP BY location_id, item_id, {day}"
    )


def downgrade() -> None:
    op.drop_index("ix_transfers_received_at", table_name="transfers")
    op.drop_table("stock_use_days")
