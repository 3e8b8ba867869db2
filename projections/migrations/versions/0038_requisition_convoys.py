"""requisition convoys: the operation and the convoy that carry a requisition's approval,
and the requisition a convoy carries

Revision ID: 0038
Revises: 0037
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("requisitions", sa.Column("operation_id", sa.String(64), nullable=True))
    op.add_column("requisitions", sa.Column("deployment_id", sa.String(64), nullable=True))
    op.add_column("deployments", sa.Column("requisition_id", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("deployments", "requisition_id")
    op.drop_column("requisitions", "deployment_id")
    op.drop_column("requisitions", "operation_id")
