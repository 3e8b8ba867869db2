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


def upgrade() -> None:
    _key_by("partition", "offset", "line")


def downgrade() -> None:
    _key_by("event_id", "line")


def _key_by(*columns: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("stock_movements_pkey", "stock_movements", type_="primary")
        op.create_primary_key("stock_movements_pkey", "stock_movements", list(columns))
        return
    # SQLite cannot change a table's key in place: a copy of the table, its columns and
    # indexes read from the database, takes its place under the new key
    bind = op.get_bind()
    table = sa.Table("stock_movements", sa.MetaData(), autoload_with=bind)
    indexes = sa.inspect(bind).get_indexes("stock_movements")
    copied = [sa.Column(c.name, c.type, nullable=c.nullable) for c in table.columns]
    op.create_table("stock_movements_rekeyed", *copied, sa.PrimaryKeyConstraint(*columns))
    op.execute("INSERT INTO stock_movements_rekeyed SELECT * FROM stock_movements")
    op.drop_table("stock_movements")
    op.rename_table("stock_movements_rekeyed", "stock_movements")
    for index in indexes:
        names = [str(c) for c in index["column_names"]]  # plain columns, no expressions
        op.create_index(index["name"], "stock_movements", names, unique=index["unique"])
