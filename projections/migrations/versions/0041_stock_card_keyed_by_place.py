"""The stock card keyed by where its lines' event sits in the log (partition, offset, line)
instead of by the event's random id: a batch's lines then go into one end of the key's index
per partition, not into every page of it (bench/RESULTS.md, "The stock card keyed by place").

Revision ID: 0041
Revises: 0040
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_stock_movements_card": ["location_id", "item_id", "offset", "line"],
    "ix_stock_movements_reference_id": ["reference_id"],
    "ix_stock_movements_donation_id": ["donation_id"],
}


def upgrade() -> None:
    _key_by("partition", "offset", "line")


def downgrade() -> None:
    _key_by("event_id", "line")


def _key_by(*columns: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("stock_movements_pkey", "stock_movements", type_="primary")
        op.create_primary_key("stock_movements_pkey", "stock_movements", list(columns))
        return
    # SQLite cannot change a table's key in place: a copy under the new key takes its place
    op.create_table("stock_movements_rekeyed", *_columns(), sa.PrimaryKeyConstraint(*columns))
    op.execute("INSERT INTO stock_movements_rekeyed SELECT * FROM stock_movements")
    op.drop_table("stock_movements")
    op.rename_table("stock_movements_rekeyed", "stock_movements")
    for name, indexed in INDEXES.items():
        op.create_index(name, "stock_movements", indexed)


def _columns() -> list[sa.Column]:
    """The stock card's columns, in the order the table has them."""
    return [
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("offset", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("reference_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=True),
        sa.Column("donation_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
    ]
