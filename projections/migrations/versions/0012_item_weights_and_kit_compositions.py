"""items carry pack size, weight and volume; kits' compositions, every version

Revision ID: 0012
Revises: 0011

Items defined before keep these empty (their events carried none).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("pack_size", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("weight_kg", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("volume_l", sa.String(length=16), nullable=True))
    op.create_table(
        "kit_components",
        sa.Column("kit_item_id", sa.String(length=64), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("item_id", sa.String(length=64), primary_key=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kit_components")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("volume_l")
        batch.drop_column("weight_kg")
        batch.drop_column("pack_size")
