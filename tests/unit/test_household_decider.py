"""The registration decider: one person, one household, until the person is erased."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce

import pytest

from events.households import HouseholdRegistered, PersonalDataErased
from services.domain.decisions import Refused
from services.domain.households.decider import (
    ErasePersonalData,
    RegisterHousehold,
    Registration,
    decide,
    evolve,
)

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
FATIMA = "p" + "a" * 40


def registration(household_id: str) -> RegisterHousehold:
    return RegisterHousehold(
        household_id=household_id, identity=FATIMA, national_id_pseudonym=FATIMA,
        sealed_personal_data="c2VhbGVk", size=5, region_code="MA07",
    )  # fmt: skip


def state_after(*events: object) -> Registration:
    return reduce(evolve, events, Registration())


def test_the_same_person_twice_is_refused_naming_the_first_household() -> None:
    state = state_after(*decide(Registration(), registration("hh-001"), NOW))

    with pytest.raises(Refused) as refused:
        decide(state, registration("hh-002"), NOW)

    assert refused.value.code == "already_registered"
    assert refused.value.details["household_id"] == "hh-001"


def test_after_erasure_the_person_registers_again_as_a_new_household() -> None:
    registered = decide(Registration(), registration("hh-001"), NOW)
    state = state_after(*registered)
    erased = decide(state, ErasePersonalData(household_id="hh-001", identity=FATIMA), NOW)
    state = state_after(*registered, *erased)

    [again] = decide(state, registration("hh-101"), NOW)

    assert erased == [PersonalDataErased(household_id="hh-001", identity=FATIMA)]
    assert state == Registration()
    assert isinstance(again, HouseholdRegistered) and again.household_id == "hh-101"


def test_erasing_a_household_the_person_does_not_hold_is_refused() -> None:
    state = state_after(*decide(Registration(), registration("hh-001"), NOW))

    with pytest.raises(Refused, match="no registered household hh-002"):
        decide(state, ErasePersonalData(household_id="hh-002", identity=FATIMA), NOW)
    with pytest.raises(Refused):
        decide(Registration(), ErasePersonalData(household_id="hh-001", identity=FATIMA), NOW)
