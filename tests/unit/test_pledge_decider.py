"""Pledge stories: a donor promises flour or dirhams; donations naming the pledge fulfil it
in part, in whole or beyond; what is outstanding can be withdrawn."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import reduce

import pytest
from hypothesis import given as given_data
from hypothesis import strategies as st

from events import Event
from events.pledges import PledgeCancelled, PledgeFulfilmentRecorded, PledgeMade
from services.domain.decisions import Refused, Rejected
from services.domain.pledges.commands import CancelPledge, MakePledge, RecordPledgeFulfilment
from services.domain.pledges.decider import PledgeDecider
from services.domain.pledges.state import Pledge

DECIDER = PledgeDecider()
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PLEDGE, ATLAS, FLOUR = "pledge-atlas-flour", "fondation-atlas", "flour-25kg"


def flour(quantity: int = 2000) -> MakePledge:
    return MakePledge(
        pledge_id=PLEDGE, donor_id=ATLAS, due_on=date(2026, 4, 1), item_id=FLOUR,
        quantity=quantity,
    )  # fmt: skip


def dirhams(amount: int = 5_000_000) -> MakePledge:
    return MakePledge(
        pledge_id=PLEDGE, donor_id=ATLAS, due_on=date(2026, 4, 1), amount=amount, currency="MAD"
    )


def sacks(donation_id: str, quantity: int, item_id: str = FLOUR) -> RecordPledgeFulfilment:
    return RecordPledgeFulfilment(
        pledge_id=PLEDGE, donation_id=donation_id, quantity=quantity, item_id=item_id
    )


def given(*commands: object) -> tuple[Pledge, list[Event]]:
    """The state after deciding and folding `commands` in order, and every event."""
    state, seen = Pledge(), []
    for command in commands:
        events = DECIDER.decide(state, command, NOW)  # type: ignore[arg-type]
        state = reduce(DECIDER.evolve, events, state)
        seen += events
    return state, seen


def test_a_pledge_of_flour_is_open_with_everything_outstanding() -> None:
    state, events = given(flour())
    assert events == [PledgeMade(**flour().model_dump())]
    assert (state.status, state.pledged, state.received, state.outstanding) == (
        "open",
        2000,
        0,
        2000,
    )


def test_given_2000_sacks_pledged_when_1200_arrive_then_800_are_outstanding() -> None:
    state, events = given(flour(), sacks("don-1", 1200))
    assert events[-1] == PledgeFulfilmentRecorded(
        pledge_id=PLEDGE, donation_id="don-1", quantity=1200, received=1200
    )
    assert (state.status, state.received, state.outstanding, state.over) == ("open", 1200, 800, 0)


def test_given_2000_pledged_when_1200_then_1000_arrive_then_it_is_fulfilled_200_over() -> None:
    state, _ = given(flour(), sacks("don-1", 1200), sacks("don-2", 1000))
    assert (state.status, state.received, state.outstanding, state.over) == (
        "fulfilled", 2200, 0, 200,
    )  # fmt: skip


def test_the_same_donation_counts_once() -> None:
    state, events = given(flour(), sacks("don-1", 1200), sacks("don-1", 1200))
    assert state.received == 1200
    assert len(events) == 2


def test_money_is_counted_in_minor_units_of_its_currency() -> None:
    cash = RecordPledgeFulfilment(
        pledge_id=PLEDGE, donation_id="don-cash", quantity=2_000_000, currency="MAD"
    )
    state, _ = given(dirhams(), cash)
    assert (state.received, state.outstanding) == (2_000_000, 3_000_000)


def test_a_donation_of_another_item_or_currency_does_not_fulfil_it() -> None:
    state, _ = given(flour())
    with pytest.raises(Refused) as refusal:
        DECIDER.decide(state, sacks("don-1", 10, item_id="oil-5l"), NOW)
    assert refusal.value.code == "not_what_was_pledged"
    assert "flour-25kg" in refusal.value.message
    money, _ = given(dirhams())
    euros = RecordPledgeFulfilment(
        pledge_id=PLEDGE, donation_id="don-eur", quantity=100, currency="EUR"
    )
    with pytest.raises(Refused, match="MAD"):
        DECIDER.decide(money, euros, NOW)


def test_cancelling_withdraws_what_is_outstanding_and_keeps_what_arrived() -> None:
    withdraw = CancelPledge(pledge_id=PLEDGE, reason="the second shipment will not be sent")
    state, events = given(flour(), sacks("don-1", 1200), withdraw)
    assert events[-1] == PledgeCancelled(pledge_id=PLEDGE, reason=withdraw.reason)
    assert (state.status, state.received, state.outstanding) == ("cancelled", 1200, 0)
    with pytest.raises(Refused) as again:
        DECIDER.decide(state, withdraw, NOW)
    assert again.value.code == "pledge_cancelled"


def test_a_donation_arriving_after_the_cancellation_is_still_counted() -> None:
    withdraw = CancelPledge(pledge_id=PLEDGE, reason="withdrawn")
    state, _ = given(flour(), withdraw, sacks("don-late", 500))
    assert (state.status, state.received, state.outstanding) == ("cancelled", 500, 0)


def test_a_fulfilled_pledge_cannot_be_cancelled() -> None:
    state, _ = given(flour(), sacks("don-1", 2000))
    with pytest.raises(Refused) as refusal:
        DECIDER.decide(state, CancelPledge(pledge_id=PLEDGE, reason="late"), NOW)
    assert refusal.value.code == "pledge_fulfilled"
    assert "2000 of 2000" in refusal.value.message


def test_refusals_say_why() -> None:
    with pytest.raises(Refused) as unknown:
        DECIDER.decide(Pledge(), sacks("don-1", 5), NOW)
    assert unknown.value.code == "unknown_pledge"
    with pytest.raises(Rejected) as past:
        DECIDER.decide(Pledge(), flour().model_copy(update={"due_on": date(2026, 3, 1)}), NOW)
    assert past.value.code == "due_on_past"
    both = flour().model_copy(update={"amount": 100, "currency": "MAD"})
    with pytest.raises(Rejected) as mixed:
        DECIDER.decide(Pledge(), both, NOW)
    assert mixed.value.code == "goods_or_money"
    state, _ = given(flour())
    assert DECIDER.decide(state, flour(), NOW) == []  # the same pledge again
    with pytest.raises(Refused) as taken:
        DECIDER.decide(state, flour(quantity=10), NOW)
    assert taken.value.code == "pledge_exists"


@given_data(
    st.lists(
        st.tuples(st.sampled_from(["don-1", "don-2", "don-3", "don-4"]), st.integers(1, 1500)),
        max_size=12,
    )
)
def test_any_donations_count_once_each_and_the_figures_add_up(
    gifts: list[tuple[str, int]],
) -> None:
    state, _ = given(flour(), *(sacks(donation, quantity) for donation, quantity in gifts))
    first: dict[str, int] = {}
    for donation, quantity in gifts:
        first.setdefault(donation, quantity)  # a donation again is the same donation
    assert state.received == sum(first.values())
    assert state.received + state.outstanding - state.over == state.pledged
    assert state.status == ("fulfilled" if state.received >= 2000 else "open")
