"""What one registry batch asks of the database: a small batch of distributions pays for every
statement it sends, so the ones whose answer the batch already holds are not sent again.

Counted with SQLAlchemy's `before_cursor_execute` hook, on SQLite and PostgreSQL. Whether the
counts stay right is the business of test_coverage_counts.py (site counts after any batches,
profiles changed among them, equal a judgement of the rows)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event, select

from events.households import AidDistributed, HouseholdRegistered
from projections.registry import PROJECTIONS
from projections.tables import site_counts
from projections.writer import Message, apply_batch
from tests.support.aid_log import START, AidLog, ramadan

SITE = "site-asni"
REGISTRY = PROJECTIONS["registry"]


def registered(n: int) -> HouseholdRegistered:
    return HouseholdRegistered(
        household_id=f"hh-{n}", identity=f"p{n:08d}", size=4, region_code="MA-07",
        province_code="MA-07-071", sealed_personal_data="sealed", site_id=SITE,
    )  # fmt: skip


def handed(n: int) -> AidDistributed:
    return AidDistributed(
        distribution_id=f"d-{n}", household_id=f"hh-{n}", identity=f"p{n:08d}",
        campaign_id="ramadan", site_id=SITE, item_id="food-basket", quantity=1,
        region_code="MA-07", province_code="MA-07-071", distributed_at=START,
    )  # fmt: skip


def a_site_with_households(log: AidLog, count: int) -> list[Message]:
    log.append(ramadan(quantity_per_household=1), "open", START)
    for n in range(count):
        log.append(registered(n), f"register:{n}", START)
    return list(log.messages)


@contextmanager
def statements(engine: Engine) -> Iterator[Counter[str]]:
    """The statements sent meanwhile, by their first words."""
    seen: Counter[str] = Counter()

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen[" ".join(statement.replace('"', "").split()[:4])] += 1

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def reads_of(seen: Counter[str], table: str) -> int:
    return sum(n for words, n in seen.items() if words.startswith(f"SELECT {table}."))


def served(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(site_counts.c.served).where(site_counts.c.site_id == SITE)) or 0


def test_a_batch_of_distributions_reads_the_terms_and_its_households_once_for_its_site_counts(
    engine: Engine,
) -> None:
    log = AidLog()
    apply_batch(engine, REGISTRY, a_site_with_households(log, 3))
    before = len(log.messages)
    for n in range(3):
        log.append(handed(n), f"serve:{n}", START)

    with statements(engine) as seen:
        apply_batch(engine, REGISTRY, log.messages[before:])

    assert served(engine) == 3
    # the site counts' judgement before and after the batch share the terms and the rows;
    # the coverage counts read the terms once more (after the batch's campaigns are written)
    assert reads_of(seen, "coverage_terms") == 2
    assert reads_of(seen, "households") == 2  # the site's rows, and the served ones' groups
    assert seen["INSERT INTO projection_locks (projection,"] == 1
    assert not any(words.startswith("UPDATE projection_locks") for words in seen)
    assert not any(words.startswith("DELETE FROM site_counts") for words in seen)  # none empties


def test_a_batch_that_changes_households_reads_their_rows_again(engine: Engine) -> None:
    log = AidLog()
    apply_batch(engine, REGISTRY, a_site_with_households(log, 2))
    before = len(log.messages)
    log.append(registered(7), "register:7", START)
    log.append(handed(7), "serve:7", START)

    with statements(engine) as seen:
        apply_batch(engine, REGISTRY, log.messages[before:])

    assert served(engine) == 1
    assert reads_of(seen, "coverage_terms") == 2
    assert reads_of(seen, "households") == 3  # before, after, and the served one's groups


def first_basket_reads(engine: Engine, served_in_batch: range, log: AidLog) -> list[str]:
    """The statements reading where the batch's households were first served."""
    before = len(log.messages)
    for n in served_in_batch:
        log.append(handed(n), f"serve:{n}", START)
    sent: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if " ".join(statement.split()).startswith(
            "SELECT distributions.campaign_id, distributions.household_id, distributions.region"
        ):
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        apply_batch(engine, REGISTRY, log.messages[before:])
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return sent


def test_the_first_baskets_of_a_batch_are_looked_up_by_household(engine: Engine) -> None:
    """Not by a list of (campaign, household) pairs: PostgreSQL plans such a list as every
    basket of the campaign filtered against each pair, a scan that lengthens as the campaign
    is served (137 ms for a batch of 500 over 19,000 baskets). By households, the same
    statement serves a batch of any size and an index or a hash finds the rows."""
    log = AidLog()
    apply_batch(engine, REGISTRY, a_site_with_households(log, 12))

    small = first_basket_reads(engine, range(2), log)
    large = first_basket_reads(engine, range(2, 12), log)

    assert small and large
    assert served(engine) == 12
    for statement in small + large:
        assert "distributions.campaign_id, distributions.household_id) IN" not in statement
    if engine.dialect.name == "postgresql":  # one array parameter: one text, prepared once
        assert set(small) == set(large)
