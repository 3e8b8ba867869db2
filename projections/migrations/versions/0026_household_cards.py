"""every card issued to a household, those replaced kept with when

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "household_cards",
        sa.Column("household_id", sa.String(64), primary_key=True),
        sa.Column("card_number", sa.Integer(), primary_key=True),
        sa.Column("check_value", sa.String(16), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("household_cards")
