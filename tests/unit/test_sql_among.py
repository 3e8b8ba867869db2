"""`among` and `not_among` select what IN and NOT IN select, on both databases (one array
parameter on PostgreSQL, whatever the number of values)."""

from __future__ import annotations

from sqlalchemy import Column, Engine, MetaData, String, Table, select

from projections.sql import among, not_among

names = Table("among_names", MetaData(), Column("name", String(16), primary_key=True))
STORED = ["asni", "amizmiz", "tahannaout", "ouirgane"]


def test_among_and_not_among_select_as_in_and_not_in(engine: Engine) -> None:
    names.create(engine)
    with engine.begin() as conn:
        conn.execute(names.insert(), [{"name": n} for n in STORED])
        for wanted in ([], ["asni"], ["asni", "nowhere", "ouirgane"], STORED + ["x"] * 3):
            picked = set(
                conn.scalars(select(names.c.name).where(among(conn, names.c.name, wanted)))
            )
            left = set(
                conn.scalars(select(names.c.name).where(not_among(conn, names.c.name, wanted)))
            )
            assert picked == set(STORED) & set(wanted)
            assert left == set(STORED) - set(wanted)


def test_on_postgresql_the_values_travel_as_one_parameter(engine: Engine) -> None:
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        for wanted in (["a"], ["a", "b", "c"], [f"n{i}" for i in range(500)]):
            stmt = select(names.c.name).where(among(conn, names.c.name, wanted))
            rendered = stmt.compile(conn, compile_kwargs={"render_postcompile": True})
            assert len(rendered.params) == (1 if postgres else len(wanted))
