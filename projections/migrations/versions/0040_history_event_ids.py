"""History keeps no applied event ids: its rows are keyed by event (projections/writer.py).

Revision ID: 0040
Revises: 0039
"""

from __future__ import annotations

from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM applied_events WHERE projection = 'history'")


def downgrade() -> None:
    """Nothing to restore: a repeated history event is dropped by the table's own key."""
