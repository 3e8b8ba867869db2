"""initial read models

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applied_events",
        sa.Column("projection", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("projection", "event_id"),
    )
    op.create_table(
        "inventory_lots",
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("on_hand", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("location_id", "item_id", "lot"),
    )
    op.create_table(
        "items",
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("item_id"),
    )
    op.create_table(
        "locations",
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("region_name", sa.String(length=200), nullable=False),
        sa.Column("province_code", sa.String(length=32), nullable=True),
        sa.Column("province_name", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("location_id"),
    )
    op.create_table(
        "projection_locks",
        sa.Column("projection", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("projection"),
    )
    op.create_table(
        "projection_positions",
        sa.Column("projection", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("projection", "topic", "partition"),
    )
    op.create_table(
        "stock_movements",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
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
        sa.PrimaryKeyConstraint("event_id", "line"),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_movements_card", ["location_id", "item_id", "offset", "line"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_stock_movements_reference_id"), ["reference_id"], unique=False
        )

    op.create_table(
        "stock_thresholds",
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("minimum", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("location_id", "item_id"),
    )
    op.create_table(
        "transfer_lines",
        sa.Column("transfer_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("donation_id", sa.String(length=64), nullable=True),
        sa.Column("dispatched", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("missing", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("transfer_id", "item_id", "lot"),
    )
    op.create_table(
        "transfers",
        sa.Column("transfer_id", sa.String(length=64), nullable=False),
        sa.Column("from_location_id", sa.String(length=64), nullable=False),
        sa.Column("to_location_id", sa.String(length=64), nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("transfer_id"),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("warehouses", sa.JSON(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("donors", sa.JSON(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username"),
        sa.UniqueConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("users")
    op.drop_table("transfers")
    op.drop_table("transfer_lines")
    op.drop_table("stock_thresholds")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_movements_reference_id"))
        batch_op.drop_index("ix_stock_movements_card")

    op.drop_table("stock_movements")
    op.drop_table("projection_positions")
    op.drop_table("projection_locks")
    op.drop_table("locations")
    op.drop_table("items")
    op.drop_table("inventory_lots")
    op.drop_table("applied_events")
