"""The registry's bulk lookups are planned for their own values on PostgreSQL, never by a
generic plan kept from when the table was nearly empty: they run while an import (or a
rebuild) fills the table, and a generic plan made over its first rows scans all of it long
after."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from projections import households_queries
from projections.writer import apply_batch
from tests.support.aid_log import START, AidLog
from tests.unit.test_registry_statements import REGISTRY, a_site_with_households, handed

# psycopg prepares a statement from its sixth run; PostgreSQL may plan it generically from
# the sixth run of the prepared statement
LOOKUPS = 12


def test_the_registry_lookups_are_planned_for_their_values(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("plans are PostgreSQL's")
    keys = ["pnobody-1", "pnobody-2", "pnobody-3"]

    for _ in range(LOOKUPS):
        assert households_queries.households_by_pseudonym(engine, keys) == {}
        assert households_queries.households_by_id(engine, keys) == {}

    with engine.connect() as conn:  # the one pooled connection the lookups used
        plans = conn.execute(
            text(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE '%FROM households%'"
            )
        ).all()
    assert plans, "the lookups were not prepared on this connection"
    assert len(plans) == 4  # by each of the three pseudonyms, and by id
    assert sum(custom for _, custom in plans) >= LOOKUPS
    assert sum(generic for generic, _ in plans) == 0


def test_registry_batches_plan_their_array_lookups_for_their_values(engine: Engine) -> None:
    """A registry batch's lookups by a batch of ids (one array parameter each) have the same
    text every time, so psycopg prepares them; none may run on a generic plan, which a
    rebuild would keep from its empty shadow tables."""
    if engine.dialect.name != "postgresql":
        pytest.skip("plans are PostgreSQL's")
    log = AidLog()
    apply_batch(engine, REGISTRY, a_site_with_households(log, LOOKUPS * 2))
    for n in range(LOOKUPS * 2):
        log.append(handed(n), f"serve:{n}", START)
    for n in range(LOOKUPS):
        apply_batch(engine, REGISTRY, log.messages[-2 * LOOKUPS + 2 * n :][:2])

    with engine.connect() as conn:
        plans = conn.execute(
            text(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE '%= ANY (%'"
            )
        ).all()
    assert plans, "no lookup by an array was prepared on this connection"
    assert sum(custom for _, custom in plans) >= LOOKUPS
    assert sum(generic for generic, _ in plans) == 0
