"""a household's members counted in plain numbers, its profile updated since registration

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

MEMBER_COUNTS = (
    "females_0_4", "females_5_17", "females_18_59", "females_60_plus",
    "males_0_4", "males_5_17", "males_18_59", "males_60_plus",
    "disabled_members", "severely_disabled_members",
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("households") as batch:
        for name in MEMBER_COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch.add_column(sa.Column("members_counted_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.drop_column("members_counted_on")
        for name in reversed(MEMBER_COUNTS):
            batch.drop_column(name)
