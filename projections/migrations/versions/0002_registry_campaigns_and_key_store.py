"""registry, campaigns and key store

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("quantity_per_household", sa.BigInteger(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("region_codes", sa.JSON(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("max_precarity_score", sa.Float(), nullable=True),
        sa.Column("operation_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    op.create_table(
        "distributions",
        sa.Column("distribution_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("province_code", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("first_distribution_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("distribution_id"),
    )
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_distributions_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_distributions_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "household_keys",
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("household_id"),
    )
    op.create_table(
        "households",
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("identity", sa.String(length=64), nullable=False),
        sa.Column("national_id_pseudonym", sa.String(length=64), nullable=True),
        sa.Column("registry_pseudonym", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("province_code", sa.String(length=32), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("precarity_score", sa.Float(), nullable=True),
        sa.Column("sealed_personal_data", sa.Text(), nullable=True),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("household_id"),
        sa.UniqueConstraint("identity"),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_households_national_id_pseudonym"),
            ["national_id_pseudonym"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_households_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_households_registry_pseudonym"), ["registry_pseudonym"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_registry_pseudonym"))
        batch_op.drop_index(batch_op.f("ix_households_region_code"))
        batch_op.drop_index(batch_op.f("ix_households_national_id_pseudonym"))

    op.drop_table("households")
    op.drop_table("household_keys")
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distributions_household_id"))
        batch_op.drop_index(batch_op.f("ix_distributions_campaign_id"))

    op.drop_table("distributions")
    op.drop_table("campaigns")
