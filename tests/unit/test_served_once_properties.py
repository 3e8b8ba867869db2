"""Served-once under corrections: whatever sequence of records (online and offline, within
and outside the campaign's dates), voids and resolutions of flagged records a household's
writer is asked, what it counts as received equals an independent ledger that keeps the
accepted baskets and the accepted exceptions and ignores what was voided; an online basket is
accepted exactly when that ledger leaves room for it; and every record sent offline is kept,
counted or flagged, never lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from events.households import (
    AidDistributed,
    CampaignOpened,
    DistributionVoided,
    DuplicateAccepted,
    DuplicateDistributionFlagged,
    DuplicateVoided,
    LateDistributionFlagged,
)
from services.domain.decisions import DomainError
from services.domain.distributions.decider import (
    DistributionDecider,
    HouseholdAid,
    RecordDistribution,
    ResolveDuplicate,
    VoidDistribution,
)
from services.domain.distributions.eligibility import CampaignTerms, within_dates

IDENTITY = "p3f9a0c41d2e8b7765a1c0d94e3f2b1a6c5d8e7f0"
CAMPAIGNS = {
    "ramadan-2026": CampaignTerms.model_validate(
        CampaignOpened(
            campaign_id="ramadan-2026",
            name="Ramadan 2026",
            item_id="basket",
            quantity_per_household=1,
            starts_on=date(2026, 2, 18),
            ends_on=date(2026, 3, 31),
        )
    ),
    "winter-2026": CampaignTerms.model_validate(
        CampaignOpened(
            campaign_id="winter-2026",
            name="Hiver 2026",
            item_id="blanket",
            quantity_per_household=3,
            starts_on=date(2026, 1, 5),
            ends_on=date(2026, 2, 28),
        )
    ).model_copy(update={"closed_on": date(2026, 2, 10)}),
}
DECIDER = DistributionDecider()
FIRST_DAY = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
DECIDED_AT = FIRST_DAY + timedelta(days=100)  # no record is dated in the writer's future


@dataclass(frozen=True)
class Hand:
    campaign_id: str
    quantity: int
    offline: bool
    day: int  # after 1 January


@dataclass(frozen=True)
class Void:
    back: int  # which record sent before


@dataclass(frozen=True)
class Resolve:
    back: int
    accept: bool


STEPS = st.lists(
    st.one_of(
        st.builds(
            Hand,
            st.sampled_from(sorted(CAMPAIGNS)),
            st.integers(1, 3),
            st.booleans(),
            st.integers(0, 100),
        ),
        st.builds(Void, st.integers(0, 30)),
        st.builds(Resolve, st.integers(0, 30), st.booleans()),
    ),
    max_size=30,
)


def record(n: int, step: Hand) -> RecordDistribution:
    return RecordDistribution(
        distribution_id=f"rec-{n}",
        household_id="hh-017",
        identity=IDENTITY,
        campaign=CAMPAIGNS[step.campaign_id],
        region_code="MA07",
        site_id="site-amizmiz",
        quantity=step.quantity,
        occurred_at=FIRST_DAY + timedelta(days=step.day),
        offline=step.offline,
    )


@settings(max_examples=300, deadline=None)
@given(STEPS)
def test_what_counts_as_received_equals_a_ledger_that_ignores_what_was_voided(
    steps: list[Hand | Void | Resolve],
) -> None:
    state = HouseholdAid()
    ledger: dict[str, tuple[str, int]] = {}  # counted distribution -> (campaign, quantity)
    sent: list[str] = []
    for n, step in enumerate(steps):
        if isinstance(step, Hand):
            command: object = record(n, step)
            sent.append(f"rec-{n}")
        elif not sent:
            continue
        elif isinstance(step, Void):
            command = VoidDistribution(
                distribution_id=sent[-1 - step.back % len(sent)],
                identity=IDENTITY,
                reason="wrong card",
            )
        else:
            command = ResolveDuplicate(
                distribution_id=sent[-1 - step.back % len(sent)],
                identity=IDENTITY,
                reason="checked",
                resolution="accept" if step.accept else "void",
            )
        try:
            events = DECIDER.decide(state, command, DECIDED_AT)
        except DomainError:
            events = []
        if isinstance(step, Hand):
            terms = CAMPAIGNS[step.campaign_id]
            on = (FIRST_DAY + timedelta(days=step.day)).date()
            taken = sum(q for c, q in ledger.values() if c == step.campaign_id)
            fits = within_dates(terms, on) and taken + step.quantity <= terms.quantity_per_household
            accepted = [e for e in events if isinstance(e, AidDistributed)]
            assert bool(accepted) == fits  # room in the ledger, and only then
            if step.offline:  # kept, counted or flagged: never lost
                assert len(events) == 1
                late = isinstance(events[0], LateDistributionFlagged)
                assert late == (not within_dates(terms, on))
                if not fits and not late:
                    assert isinstance(events[0], DuplicateDistributionFlagged)
            elif not fits:
                assert events == []
        for event in events:
            if isinstance(event, AidDistributed | DuplicateAccepted):
                ledger[event.distribution_id] = (event.campaign_id, event.quantity)
            elif isinstance(event, DistributionVoided):
                assert event.distribution_id in ledger  # only what counts is voided
                del ledger[event.distribution_id]
            else:
                assert isinstance(
                    event, DuplicateDistributionFlagged | LateDistributionFlagged | DuplicateVoided
                )
            state = DECIDER.evolve(state, event)

        for campaign_id in CAMPAIGNS:
            counted = sum(q for c, q in ledger.values() if c == campaign_id)
            assert state.total(campaign_id) == counted
