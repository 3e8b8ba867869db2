"""Stories of one household's aid: what the distribution decider records, refuses, and flags.

Pure: the decider and the eligibility rules, no database and no Kafka. A household of
Aït Ourir (Al Haouz, Marrakech-Safi) with children and an elderly parent is served Ramadan
baskets at two sites; facts already in the log are folded with `evolve`, then one record
is decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import Event
from events.households import (
    AidDistributed,
    CampaignOpened,
    DuplicateDistributionFlagged,
    LateDistributionFlagged,
)
from services.domain.decisions import DomainError, Refused, Rejected
from services.domain.distributions.decider import (
    DistributionDecider,
    HouseholdAid,
    RecordDistribution,
    decide_distribution,
)
from services.domain.distributions.eligibility import (
    CampaignTerms,
    Profile,
    eligibility,
    within_dates,
)

AMIZMIZ, ASNI = "site-al-haouz", "site-asni"
HOUSEHOLD, IDENTITY = "hh-ait-ourir-017", "p3f9a0c41d2e8b7765a1c0d94e3f2b1a6c5d8e7f0"
MARRAKECH_SAFI, CASABLANCA_SETTAT, AL_HAOUZ = "MA07", "MA06", "MA0701"
FIRST_MORNING = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
DECIDER = DistributionDecider()


def ramadan(entitlement: int = 1, **rules: Any) -> CampaignOpened:
    """Ramadan 2026 baskets, 18 February to 31 March."""
    return CampaignOpened(
        campaign_id=rules.pop("campaign_id", "ramadan-2026"),
        name="Ramadan 2026",
        item_id="ramadan-basket",
        quantity_per_household=entitlement,
        starts_on=date(2026, 2, 18),
        ends_on=date(2026, 3, 31),
        **rules,
    )


def handed(
    distribution_id: str,
    campaign: CampaignOpened,
    *,
    quantity: int = 1,
    site: str = AMIZMIZ,
    at: datetime = FIRST_MORNING,
    offline: bool = False,
    **profile: Any,
) -> RecordDistribution:
    """An agent records baskets handed to the Aït Ourir household."""
    household: dict[str, Any] = {
        "region_code": MARRAKECH_SAFI,
        "province_code": AL_HAOUZ,
        "groups": ["children", "elderly"],
        "precarity_score": 42.0,
    } | profile
    return RecordDistribution(
        distribution_id=distribution_id,
        household_id=HOUSEHOLD,
        identity=IDENTITY,
        campaign=campaign,
        site_id=site,
        quantity=quantity,
        occurred_at=at,
        offline=offline,
        **household,
    )


def fold(events: Iterable[Event]) -> HouseholdAid:
    state = DECIDER.initial()
    for event in events:
        state = DECIDER.evolve(state, event)
    return state


def record(past: list[Event], command: RecordDistribution) -> list[Event]:
    """Decide one record given the facts already in the household's log, as it is made
    (a record with no time: on the first morning)."""
    return DECIDER.decide(fold(past), command, command.occurred_at or FIRST_MORNING)


def served(*commands: RecordDistribution) -> list[Event]:
    """The facts of records decided one after the other, each accepted."""
    log: list[Event] = []
    for command in commands:
        log += record(log, command)
    return log


# ---- entitlement ---------------------------------------------------------------------------


def test_a_first_basket_is_recorded_as_aid_distributed() -> None:
    [event] = record([], handed("dist-001", ramadan()))

    assert event == AidDistributed(
        distribution_id="dist-001",
        household_id=HOUSEHOLD,
        identity=IDENTITY,
        campaign_id="ramadan-2026",
        site_id=AMIZMIZ,
        item_id="ramadan-basket",
        quantity=1,
        region_code=MARRAKECH_SAFI,
        province_code=AL_HAOUZ,
        distributed_at=FIRST_MORNING,
        offline=False,
    )


def test_a_second_basket_online_is_refused_naming_where_and_when_the_first_was_given() -> None:
    campaign = ramadan(entitlement=1)
    past = served(handed("dist-001", campaign, site=AMIZMIZ))

    with pytest.raises(Refused) as refused:
        record(past, handed("dist-002", campaign, site=ASNI, at=FIRST_MORNING + timedelta(days=2)))

    assert refused.value.code == "already_received"
    assert AMIZMIZ in refused.value.message
    assert "2026-03-01 10:00" in refused.value.message
    assert refused.value.details == {
        "already_received": 1,
        "entitlement": 1,
        "first_distribution_id": "dist-001",
        "site_id": AMIZMIZ,
        "received_at": "2026-03-01T10:00:00+00:00",
    }


def test_with_an_entitlement_of_two_two_single_baskets_are_accepted_and_a_third_refused() -> None:
    campaign = ramadan(entitlement=2)
    past = served(
        handed("dist-001", campaign, site=AMIZMIZ),
        handed("dist-002", campaign, site=ASNI, at=FIRST_MORNING + timedelta(days=7)),
    )

    with pytest.raises(Refused) as refused:
        record(past, handed("dist-003", campaign, at=FIRST_MORNING + timedelta(days=14)))

    assert [(e.distribution_id, e.quantity) for e in past] == [("dist-001", 1), ("dist-002", 1)]
    assert all(isinstance(e, AidDistributed) for e in past)
    assert refused.value.code == "already_received"
    assert "already received 2 of 2" in refused.value.message
    assert refused.value.details["first_distribution_id"] == "dist-001"


def test_another_campaign_has_its_own_entitlement() -> None:
    past = served(handed("dist-001", ramadan()))

    [event] = record(past, handed("dist-winter-001", ramadan(campaign_id="cold-wave-2026")))

    assert isinstance(event, AidDistributed)
    assert event.campaign_id == "cold-wave-2026"


def test_a_late_offline_record_beyond_the_entitlement_is_kept_and_flagged_duplicate() -> None:
    campaign = ramadan(entitlement=1)
    past = served(handed("dist-001", campaign, site=AMIZMIZ))

    [event] = record(past, handed("offline-asni-044", campaign, site=ASNI, offline=True))

    assert isinstance(event, DuplicateDistributionFlagged)
    assert event.first_distribution_id == "dist-001"
    assert event.already_received == 1
    assert (event.distribution_id, event.site_id, event.quantity) == ("offline-asni-044", ASNI, 1)


def test_an_offline_record_within_the_entitlement_is_an_ordinary_distribution() -> None:
    [event] = record([], handed("offline-asni-001", ramadan(), site=ASNI, offline=True))

    assert isinstance(event, AidDistributed)
    assert event.offline is True


def test_a_flagged_duplicate_does_not_count_towards_what_was_received() -> None:
    campaign = ramadan(entitlement=1)
    past = served(handed("dist-001", campaign))
    past += record(past, handed("offline-002", campaign, offline=True))

    assert fold(past).total("ramadan-2026") == 1


# ---- campaign dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(datetime(2026, 2, 17, 23, 0, tzinfo=UTC), id="the-eve-of-the-campaign"),
        pytest.param(datetime(2026, 4, 1, 8, 0, tzinfo=UTC), id="the-day-after"),
    ],
)
def test_online_outside_the_campaign_dates_is_refused(day: datetime) -> None:
    with pytest.raises(Refused) as refused:
        record([], handed("dist-001", ramadan(), at=day))

    assert refused.type is Refused
    assert refused.value.code == "outside_campaign"
    assert "2026-02-18" in refused.value.message and "2026-03-31" in refused.value.message
    assert refused.value.details == {"starts_on": "2026-02-18", "ends_on": "2026-03-31"}


def test_offline_outside_the_campaign_dates_is_kept_and_flagged_late() -> None:
    april = datetime(2026, 4, 2, tzinfo=UTC)

    [late] = record([], handed("offline-001", ramadan(), at=april, offline=True))

    assert late == LateDistributionFlagged(
        distribution_id="offline-001", household_id=HOUSEHOLD, identity=IDENTITY,
        campaign_id="ramadan-2026", site_id=AMIZMIZ, item_id="ramadan-basket", quantity=1,
        region_code=MARRAKECH_SAFI, province_code=AL_HAOUZ, distributed_at=april,
        why="outside_campaign",
    )  # fmt: skip


def test_offline_after_the_campaign_closed_is_flagged_and_does_not_count() -> None:
    closed = CampaignTerms.model_validate(ramadan()).model_copy(
        update={"closed_on": date(2026, 3, 10)}
    )
    record_after = handed("offline-002", ramadan(), at=datetime(2026, 3, 12, 9, tzinfo=UTC),
                          offline=True).model_copy(update={"campaign": closed})  # fmt: skip

    [late] = record([], record_after)
    on_the_day = handed("dist-003", ramadan(), at=datetime(2026, 3, 9, tzinfo=UTC))
    [first] = record([late], on_the_day.model_copy(update={"campaign": closed}))

    assert isinstance(late, LateDistributionFlagged) and late.why == "campaign_closed"
    assert isinstance(first, AidDistributed)  # the flagged one took nothing of the entitlement
    assert fold([late]).flagged == {"offline-002": late}


def test_the_first_and_last_days_of_the_campaign_count() -> None:
    campaign = CampaignTerms.model_validate(ramadan())

    assert within_dates(campaign, date(2026, 2, 18))
    assert within_dates(campaign, date(2026, 3, 31))
    assert not within_dates(campaign, date(2026, 4, 1))
    closed = campaign.model_copy(update={"closed_on": date(2026, 3, 10)})
    assert within_dates(closed, date(2026, 3, 10))
    assert not within_dates(closed, date(2026, 3, 11))


# ---- when a record is dated ------------------------------------------------------------------


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
@pytest.mark.parametrize(
    "at",
    [
        pytest.param(FIRST_MORNING + timedelta(minutes=6), id="beyond-clocks-disagreeing"),
        pytest.param(datetime(2099, 3, 1, tzinfo=UTC), id="2099"),
        pytest.param(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), id="9999"),
        pytest.param(datetime(1999, 12, 31, 23, 59, tzinfo=UTC), id="before-2000"),
        pytest.param(datetime(1900, 3, 1, tzinfo=UTC), id="1900"),
    ],
)
def test_a_record_dated_in_the_future_or_before_2000_is_rejected_naming_occurred_at(
    at: datetime, offline: bool
) -> None:
    command = handed("dist-001", ramadan(), at=at, offline=offline)

    with pytest.raises(Rejected) as rejected:
        DECIDER.decide(HouseholdAid(), command, FIRST_MORNING)

    assert rejected.type is Rejected  # not flagged late: the date itself is wrong
    assert rejected.value.code == "occurred_at_out_of_range"
    assert rejected.value.details == {"field": "occurred_at"}
    assert "correct the device's date and time" in rejected.value.message


@pytest.mark.parametrize(
    "at, offline",
    [
        pytest.param(FIRST_MORNING + timedelta(minutes=4), False, id="a-clock-minutes-ahead"),
        pytest.param(datetime(2026, 2, 18, 8, tzinfo=UTC), True, id="weeks-old-synced-late"),
    ],
)
def test_a_record_minutes_ahead_or_weeks_old_is_recorded(at: datetime, offline: bool) -> None:
    command = handed("dist-001", ramadan(), at=at, offline=offline)

    [event] = DECIDER.decide(HouseholdAid(), command, FIRST_MORNING + timedelta(days=10))
    [ahead] = DECIDER.decide(HouseholdAid(), command, FIRST_MORNING)

    assert isinstance(event, AidDistributed) and event.distributed_at == at
    assert ahead == event


# ---- eligibility rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "profile", "words"),
    [
        pytest.param(
            {"region_codes": [CASABLANCA_SETTAT]},
            {},
            f"the campaign covers regions {CASABLANCA_SETTAT}, not {MARRAKECH_SAFI}",
            id="region",
        ),
        pytest.param(
            {"groups": ["disability", "women"]},
            {"groups": ["children", "elderly"]},
            "the campaign is for households with disability, women",
            id="group",
        ),
        pytest.param(
            {"max_precarity_score": 30.0},
            {"precarity_score": 42.0},
            "the campaign is for a precarity score of at most 30.0",
            id="precarity-too-high",
        ),
        pytest.param(
            {"max_precarity_score": 30.0},
            {"precarity_score": None},
            "the campaign is for a precarity score of at most 30.0",
            id="precarity-unknown",
        ),
    ],
)
@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_a_household_outside_the_campaign_rules_is_not_eligible_in_plain_words(
    rules: dict[str, Any], profile: dict[str, Any], words: str, offline: bool
) -> None:
    with pytest.raises(DomainError) as refusal:
        record([], handed("dist-001", ramadan(**rules), offline=offline, **profile))

    assert refusal.type is (Rejected if offline else Refused)
    assert refusal.value.code == "not_eligible"
    assert refusal.value.message == words
    assert refusal.value.details == {"reason": words}


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param({}, id="everyone"),
        pytest.param({"region_codes": [MARRAKECH_SAFI, CASABLANCA_SETTAT]}, id="its-region"),
        pytest.param({"groups": ["elderly"]}, id="one-of-its-groups"),
        pytest.param({"max_precarity_score": 42.0}, id="precarity-at-the-limit"),
    ],
)
def test_a_household_within_the_rules_is_eligible(rules: dict[str, Any]) -> None:
    profile = Profile(MARRAKECH_SAFI, AL_HAOUZ, ("children", "elderly"), 42.0)

    assert eligibility(profile, ramadan(**rules)) == (True, "eligible")


# ---- properties ----------------------------------------------------------------------------

CAMPAIGNS = (ramadan(entitlement=1), ramadan(entitlement=3, campaign_id="cold-wave-2026"))
RECORDS = st.lists(
    st.tuples(
        st.sampled_from(CAMPAIGNS),
        st.integers(min_value=1, max_value=4),  # quantity
        st.booleans(),  # offline
        st.integers(min_value=-3, max_value=45),  # days after 18 February
        st.sampled_from([AMIZMIZ, ASNI]),
    ),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(RECORDS)
def test_no_sequence_of_records_gives_a_household_more_than_its_entitlement(
    records: list[tuple[CampaignOpened, int, bool, int, str]],
) -> None:
    log: list[Event] = []
    for n, (campaign, quantity, offline, day, site) in enumerate(records):
        at = datetime(2026, 2, 18, 9, 0, tzinfo=UTC) + timedelta(days=day)
        command = handed(f"rec-{n}", campaign, quantity=quantity, site=site, at=at,
                         offline=offline)  # fmt: skip
        try:
            decided = decide_distribution(fold(log), command)
        except DomainError as refusal:
            # a late record is a fact: never refused, only flagged (here all are eligible)
            assert not offline, refusal.message
            continue  # a refusal or rejection: nothing written
        assert len(decided) == 1  # exactly one fact per record
        [event] = decided
        assert isinstance(
            event, AidDistributed | DuplicateDistributionFlagged | LateDistributionFlagged
        )
        assert event.distribution_id == command.distribution_id
        assert isinstance(event, AidDistributed) or offline  # only late records are flagged
        terms = CampaignTerms.model_validate(campaign)
        late = isinstance(event, LateDistributionFlagged)
        assert late == (not within_dates(terms, at.date()))  # flagged late only off its dates
        log.append(event)

    for campaign in CAMPAIGNS:
        given_out = sum(
            e.quantity
            for e in log
            if isinstance(e, AidDistributed) and e.campaign_id == campaign.campaign_id
        )
        assert given_out <= campaign.quantity_per_household
