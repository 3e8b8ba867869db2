"""imports of a social registry's export: their progress and the lines they refused

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "household_imports",
        sa.Column("import_id", sa.String(64), primary_key=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lines_read", sa.BigInteger(), nullable=False),
        sa.Column("registered", sa.BigInteger(), nullable=False),
        sa.Column("unchanged", sa.BigInteger(), nullable=False),
        sa.Column("refused", sa.BigInteger(), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "household_import_refusals",
        sa.Column("import_id", sa.String(64), primary_key=True),
        sa.Column("line", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("message", sa.String(200), nullable=False),
        sa.Column("first_line", sa.BigInteger()),
        sa.Column("household_id", sa.String(64)),
    )


def downgrade() -> None:
    op.drop_table("household_import_refusals")
    op.drop_table("household_imports")
