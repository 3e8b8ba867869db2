"""The registration decider: one person, one household, until the person is erased; the
household's profile updated by the same writer, each change once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import reduce
from typing import Any

import pytest

from events.households import (
    HouseholdCardIssued,
    HouseholdProfileUpdated,
    HouseholdRegistered,
    MemberCounts,
    PersonalDataErased,
)
from services.domain.decisions import Refused
from services.domain.households.decider import (
    ErasePersonalData,
    IssueHouseholdCard,
    RegisterHousehold,
    Registration,
    UpdateHouseholdProfile,
    decide,
    evolve,
    personal_data_digest,
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


def test_a_registration_records_the_household_as_the_agent_gave_it_every_field() -> None:
    members = MemberCounts(counted_on=date(2026, 1, 1), females_0_4=1, males_18_59=1)
    command = RegisterHousehold(
        household_id="hh-7", identity=FATIMA, national_id_pseudonym=FATIMA,
        registry_pseudonym="r" + "b" * 40, sealed_personal_data="c2VhbGVk", size=5,
        region_code="MA07", province_code="MA0701", groups=["children", "elderly"],
        precarity_score=42.5, members=members, site_id="site-ouarzazate",
    )  # fmt: skip

    [registered] = decide(Registration(), command, NOW)

    assert registered == HouseholdRegistered(**command.model_dump())
    assert registered.model_dump() == command.model_dump()


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


# ---- profile updates -----------------------------------------------------------------------

TODAY = NOW.date()


def update(household_id: str = "hh-001", **changes: Any) -> UpdateHouseholdProfile:
    """Fatima's household assessed again: by default as it was registered."""
    profile: dict[str, Any] = {"size": 5, "region_code": "MA07"} | changes
    return UpdateHouseholdProfile(household_id=household_id, identity=FATIMA, **profile)


def counts(on: date = TODAY, **numbers: int) -> MemberCounts:
    return MemberCounts(counted_on=on, **numbers)


def registered() -> Registration:
    return state_after(*decide(Registration(), registration("hh-001"), NOW))


def test_a_household_moved_to_souss_massa_gets_its_whole_new_profile_recorded() -> None:
    moved = update(size=6, region_code="MA09", province_code="MA0901", groups=["children"],
                   precarity_score=38.5, members=counts(females_0_4=1, males_18_59=5))  # fmt: skip

    [event] = decide(registered(), moved, NOW)

    assert event == HouseholdProfileUpdated(**moved.model_dump())
    situation = state_after(*decide(Registration(), registration("hh-001"), NOW), event).situation
    assert situation is not None
    assert (situation.size, situation.region_code, situation.groups) == (6, "MA09", ("children",))
    assert situation.personal_data == personal_data_digest(
        "c2VhbGVk"
    )  # not sealed again: it stands


def test_the_same_profile_again_records_nothing_so_a_retry_changes_nothing() -> None:
    first = update(size=3, members=counts(females_18_59=2, males_5_17=1))
    events = decide(registered(), first, NOW)
    state = state_after(*decide(Registration(), registration("hh-001"), NOW), *events)

    assert len(events) == 1
    assert decide(state, first, NOW) == []
    # counted again a week later, the same people in the same bands: nothing new either
    later = first.model_copy(update={"members": counts(TODAY + timedelta(days=7),
                                                       females_18_59=2, males_5_17=1)})  # fmt: skip
    assert decide(state, later, NOW) == []
    assert decide(registered(), update(), NOW) == []  # as registered: nothing to record


def test_the_latest_profile_is_remembered_so_going_back_is_a_change() -> None:
    moved = decide(registered(), update(region_code="MA09"), NOW)
    state = state_after(*decide(Registration(), registration("hh-001"), NOW), *moved)

    [back] = decide(state, update(region_code="MA07"), NOW)

    assert isinstance(back, HouseholdProfileUpdated) and back.region_code == "MA07"


def test_personal_data_sealed_again_is_a_change_even_with_the_same_profile() -> None:
    [resealed] = decide(registered(), update(sealed_personal_data="bmV3IHBob25l"), NOW)
    state = state_after(*decide(Registration(), registration("hh-001"), NOW), resealed)

    assert resealed.sealed_personal_data == "bmV3IHBob25l"
    assert decide(state, update(sealed_personal_data="bmV3IHBob25l"), NOW) == []


def test_updating_a_household_never_registered_or_erased_is_refused_as_unknown() -> None:
    registered_events = decide(Registration(), registration("hh-001"), NOW)
    erased = decide(
        state_after(*registered_events), ErasePersonalData(household_id="hh-001", identity=FATIMA),
        NOW,
    )  # fmt: skip

    for state, household_id in (
        (Registration(), "hh-001"),
        (state_after(*registered_events), "hh-002"),
        (state_after(*registered_events, *erased), "hh-001"),
    ):
        with pytest.raises(Refused, match=f"no registered household {household_id}") as refused:
            decide(state, update(household_id), NOW)
        assert refused.value.code == "unknown_household"


def test_an_update_of_another_household_of_the_same_person_leaves_the_state_alone() -> None:
    state = registered()
    stray = HouseholdProfileUpdated(**update("hh-777", region_code="MA09").model_dump())

    assert evolve(state, stray) == state


# ---- cards ---------------------------------------------------------------------------------


def card(check: str, household_id: str = "hh-001") -> IssueHouseholdCard:
    return IssueHouseholdCard(household_id=household_id, identity=FATIMA, check=check)


def test_fatimas_first_card_is_number_one_and_a_lost_card_is_replaced_by_number_two() -> None:
    registered_events = decide(Registration(), registration("hh-001"), NOW)
    [first] = decide(state_after(*registered_events), card("K7M4Q9TX"), NOW)
    [second] = decide(state_after(*registered_events, first), card("W3H8CZ2N"), NOW)

    assert first == HouseholdCardIssued(
        household_id="hh-001", identity=FATIMA, card_number=1, check="K7M4Q9TX"
    )
    assert (second.card_number, second.check) == (2, "W3H8CZ2N")
    assert state_after(*registered_events, first, second).card_number == 2
    # the profile and the registration stand: a card changes nothing else
    assert state_after(*registered_events, first).situation == registered().situation


def test_a_card_for_a_household_never_registered_or_erased_is_refused_as_unknown() -> None:
    registered_events = decide(Registration(), registration("hh-001"), NOW)
    [first] = decide(state_after(*registered_events), card("K7M4Q9TX"), NOW)
    erased = decide(
        state_after(*registered_events, first),
        ErasePersonalData(household_id="hh-001", identity=FATIMA), NOW,
    )  # fmt: skip

    for state, household_id in (
        (Registration(), "hh-001"),
        (state_after(*registered_events), "hh-002"),
        (state_after(*registered_events, first, *erased), "hh-001"),
    ):
        with pytest.raises(Refused, match=f"no registered household {household_id}") as refused:
            decide(state, card("W3H8CZ2N", household_id), NOW)
        assert refused.value.code == "unknown_household"


def test_registered_again_after_erasure_the_new_household_starts_at_card_one() -> None:
    registered_events = decide(Registration(), registration("hh-001"), NOW)
    cards = [HouseholdCardIssued(household_id="hh-001", identity=FATIMA, card_number=n,
                                 check="K7M4Q9TX") for n in (1, 2, 3)]  # fmt: skip
    erased = PersonalDataErased(household_id="hh-001", identity=FATIMA)
    again = decide(state_after(*registered_events, *cards, erased), registration("hh-101"), NOW)

    [first] = decide(state_after(*registered_events, *cards, erased, *again),
                     card("K7M4Q9TX", "hh-101"), NOW)  # fmt: skip

    assert (first.household_id, first.card_number) == ("hh-101", 1)


def test_a_card_of_another_household_or_read_twice_leaves_the_number_as_it_was() -> None:
    state = state_after(*decide(Registration(), registration("hh-001"), NOW))
    issued = [HouseholdCardIssued(household_id="hh-001", identity=FATIMA, card_number=n,
                                  check="K7M4Q9TX") for n in (1, 2)]  # fmt: skip
    stray = HouseholdCardIssued(household_id="hh-777", identity=FATIMA, card_number=5,
                                check="K7M4Q9TX")  # fmt: skip

    assert evolve(state, stray) == state
    assert reduce(evolve, [*issued, issued[0]], state).card_number == 2  # a copy read late


def test_an_update_that_moves_the_household_to_another_site_names_the_site_it_left() -> None:
    at_amizmiz = registration("hh-001").model_copy(update={"site_id": "site-amizmiz"})
    state = state_after(*decide(Registration(), at_amizmiz, NOW))

    [moved] = decide(state, update(site_id="site-asni"), NOW)
    [reassessed] = decide(state, update(site_id="site-amizmiz", size=6), NOW)
    [unassigned] = decide(state, update(site_id=None, size=6), NOW)

    assert isinstance(moved, HouseholdProfileUpdated)
    assert (moved.site_id, moved.previous_site_id) == ("site-asni", "site-amizmiz")
    assert isinstance(reassessed, HouseholdProfileUpdated)
    assert reassessed.previous_site_id is None  # the site stays: nothing to leave
    assert isinstance(unassigned, HouseholdProfileUpdated)
    assert (unassigned.site_id, unassigned.previous_site_id) == (None, "site-amizmiz")
