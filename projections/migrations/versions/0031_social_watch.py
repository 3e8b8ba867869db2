"""the social watch: the registry per area, target group and precarity band, and per month
its registrations and assessments

Revision ID: 0031
Revises: 0030

Filled from the households projected before, so a read model upgraded in place has it
without a rebuild: the standing from each household's row as it is; the months from each
household's registration (its month and its profile as it is now: the assessments before
this revision, its profile updates, are not in the read model and are not counted).
"""

from collections import Counter
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

households = sa.table(
    "households",
    sa.column("size", sa.Integer),
    sa.column("region_code", sa.String),
    sa.column("province_code", sa.String),
    sa.column("groups", sa.JSON),
    sa.column("precarity_score", sa.Float),
    sa.column("registered_at", sa.DateTime),
)


def upgrade() -> None:
    op.create_table(
        "registry_counts",
        sa.Column("region_code", sa.String(length=32), primary_key=True),
        sa.Column("province_code", sa.String(length=32), primary_key=True),
        sa.Column("target_group", sa.String(length=32), primary_key=True),
        sa.Column("score_band", sa.Integer(), primary_key=True),
        sa.Column("households", sa.BigInteger(), nullable=False),
        sa.Column("people", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "registry_months",
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("region_code", sa.String(length=32), primary_key=True),
        sa.Column("province_code", sa.String(length=32), primary_key=True),
        sa.Column("target_group", sa.String(length=32), primary_key=True),
        sa.Column("registered", sa.BigInteger(), nullable=False),
        sa.Column("assessed", sa.BigInteger(), nullable=False),
        sa.Column("scored", sa.BigInteger(), nullable=False),
        sa.Column("score_hundredths", sa.BigInteger(), nullable=False),
    )
    conn = op.get_bind()
    standing: Counter[tuple[Any, ...]] = Counter()
    people: Counter[tuple[Any, ...]] = Counter()
    months: Counter[tuple[tuple[Any, ...], str]] = Counter()
    for h in conn.execute(sa.select(households)).mappings():
        area = (h["region_code"], h["province_code"] or "")
        score = h["precarity_score"]
        band = -1 if score is None else min(int(score // 10) * 10, 90)
        month = h["registered_at"].date().replace(day=1)
        for group in ["", *sorted(set(h["groups"]))]:
            standing[(*area, group, band)] += 1
            people[(*area, group, band)] += h["size"]
            key = (month, *area, group)
            months[(key, "registered")] += 1
            months[(key, "assessed")] += 1
            if score is not None:
                months[(key, "scored")] += 1
                months[(key, "score_hundredths")] += round(score * 100)
    if standing:
        columns = ("region_code", "province_code", "target_group", "score_band", "households",
                   "people")  # fmt: skip
        table = sa.table("registry_counts", *(sa.column(c) for c in columns))
        conn.execute(sa.insert(table), [
            dict(zip(("region_code", "province_code", "target_group", "score_band"), key,
                     strict=True)) | {"households": n, "people": people[key]}
            for key, n in standing.items()
        ])  # fmt: skip
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for (key, column), n in months.items():
        row = rows.setdefault(key, dict(zip(
            ("month", "region_code", "province_code", "target_group"), key, strict=True))
            | {"registered": 0, "assessed": 0, "scored": 0, "score_hundredths": 0})  # fmt: skip
        row[column] += n
    if rows:
        table = sa.table("registry_months", *(sa.column(c) for c in next(iter(rows.values()))))
        conn.execute(sa.insert(table), list(rows.values()))


def downgrade() -> None:
    op.drop_table("registry_months")
    op.drop_table("registry_counts")
