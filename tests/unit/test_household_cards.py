"""A household card's code: what its QR code carries (the household, the card's number, a
check value, nobody's name or ID), read back from a scan or from what an agent typed."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from events.households import CARD_CHECK_ALPHABET, HouseholdCardIssued, HouseholdRegistered
from projections.tables import household_cards
from projections.writer_types import utc
from services.domain.decisions import Rejected
from services.domain.households.cards import CardCode, code_of, parse
from tests.support.aid_log import START, AidLog, batches, forget, interleaving, one_by_one, project

slugs = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,63}", fullmatch=True)
checks = st.text(alphabet=CARD_CHECK_ALPHABET, min_size=8, max_size=8)


@given(household_id=st.one_of(slugs, st.uuids().map(str)), number=st.integers(1, 99_999),
       check=checks)  # fmt: skip
def test_any_card_code_reads_back_as_the_card_it_was_made_from(
    household_id: str, number: int, check: str
) -> None:
    code = code_of(household_id, number, check)

    assert parse(code) == CardCode(household_id, number, check)
    assert parse(code).text == code


def test_a_scanned_code_with_spaces_around_and_a_typed_lower_case_check_is_read() -> None:
    assert parse("  AID1:hh-amizmiz-001:2:k7m4q9tx\n") == CardCode("hh-amizmiz-001", 2, "K7M4Q9TX")


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("BE123456", "should read AID1:<household>:<card number>:<check>"),
        ("AID2:hh-amizmiz-001:1:K7M4Q9TX", "should read AID1"),
        ("AID1:hh-amizmiz-001:1:K7M4Q9TX:extra", "should read AID1"),
        ("AID1:HH Amizmiz:1:K7M4Q9TX", "household part"),
        ("AID1:hh-amizmiz-001:0:K7M4Q9TX", "card number"),
        ("AID1:hh-amizmiz-001:one:K7M4Q9TX", "card number"),
        ("AID1:hh-amizmiz-001:1:K7M4Q9T0", "check value"),  # 0 is not in the alphabet
        ("AID1:hh-amizmiz-001:1:K7M4", "check value"),
        ("AID1:" + "a" * 200 + ":1:K7M4Q9TX", "longer than"),
    ],
)
def test_a_malformed_code_is_rejected_as_card_invalid_in_plain_words(code: str, why: str) -> None:
    with pytest.raises(Rejected) as rejected:
        parse(code)

    assert rejected.value.code == "card_invalid"
    assert why in rejected.value.message
    assert code.strip() not in rejected.value.message  # what was scanned is never echoed


def test_the_code_names_the_household_and_nothing_about_its_people() -> None:
    assert code_of("hh-amizmiz-001", 3, "K7M4Q9TX") == "AID1:hh-amizmiz-001:3:K7M4Q9TX"


# ---- the read model ------------------------------------------------------------------------

IDENTITY = "p00000001"


def issued(number: int, check: str) -> HouseholdCardIssued:
    return HouseholdCardIssued(household_id="hh-1", identity=IDENTITY, card_number=number,
                               check=check)  # fmt: skip


def cards_story() -> AidLog:
    """Fatima's household registered, given its card a day later, and a new card when she
    lost it, a week after; the first card's issue decided again after a crash and read last."""
    log = AidLog()
    log.append(
        HouseholdRegistered(household_id="hh-1", identity=IDENTITY, size=5, region_code="MA-07",
                            sealed_personal_data="sealed:1"),
        "register:1", START,
    )  # fmt: skip
    first = log.append(issued(1, "K7M4Q9TX"), "card:1", START + timedelta(days=1))
    log.append(issued(2, "W3H8CZ2N"), "card:2", START + timedelta(days=8))
    log.append_again(first)
    return log


def card_rows(engine: Engine) -> list[tuple[object, ...]]:
    c = household_cards.c
    query = select(c.card_number, c.check_value, c.issued_at, c.replaced_at).order_by(c.card_number)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def test_a_replaced_card_stays_known_with_when_it_was_replaced(engine: Engine) -> None:
    forget(engine)
    project(engine, one_by_one(cards_story().messages))

    day_1, day_8 = (utc(START + timedelta(days=d)) for d in (1, 8))
    assert card_rows(engine) == [(1, "K7M4Q9TX", day_1, day_8), (2, "W3H8CZ2N", day_8, None)]


def test_the_card_rows_are_the_same_in_any_batches_and_after_a_rebuild(engine: Engine) -> None:
    log = cards_story()
    forget(engine)
    project(engine, one_by_one(log.messages))
    in_order = card_rows(engine)
    for seed in range(5):
        rng = random.Random(seed)
        forget(engine)
        project(engine, batches(interleaving(log, rng), rng))
        assert card_rows(engine) == in_order
