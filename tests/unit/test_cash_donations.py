"""Cash stories: a donor gives dirhams; purchases spend them, never beyond what remains, and
what they buy is received as stock carrying the donation; donations naming a pledge count
towards it, each once."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce

import pytest

from events import Actor, Envelope, Event
from events.relief import CashDonationReceived, DonationReceived, PurchaseRecorded
from events.serialization import event_id_for, wrap
from services.domain.decisions import Refused, Rejected
from services.domain.pledges.commands import RecordPledgeFulfilment
from services.domain.policies.pledges import fulfil
from services.domain.policies.purchases import receipt_id, receive_stock
from services.domain.reference.decider import Registration
from services.domain.reference.donations import (
    DonationDecider,
    RecordCashDonation,
    RecordPurchase,
)
from services.domain.stock.commands import ReceiveStock

DECIDER = DonationDecider()
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPERATOR = Actor(user_id="youssef.operator", role="operator")
CASH = "don-cash-7"


def gift(amount: int = 5_000_000, pledge_id: str | None = None) -> RecordCashDonation:
    return RecordCashDonation(
        donation=CashDonationReceived(
            donation_id=CASH, donor_id="fondation-atlas", amount=amount, currency="MAD",
            pledge_id=pledge_id,
        )
    )  # fmt: skip


def purchase(purchase_id: str, amount: int, currency: str = "MAD") -> RecordPurchase:
    return RecordPurchase(
        purchase_id=purchase_id, donation_id=CASH, supplier="Minoterie du Souss",
        location_id="wh-casa", item_id="flour-25kg", quantity=300, amount=amount,
        currency=currency, lot=purchase_id,
    )  # fmt: skip


def given(*commands: object) -> tuple[Registration, list[Event]]:
    state, seen = Registration(), []
    for command in commands:
        events = DECIDER.decide(state, command, NOW)  # type: ignore[arg-type]
        state = reduce(DECIDER.evolve, events, state)
        seen += events
    return state, seen


def wrapped(event: Event, command_id: str) -> Envelope:
    return wrap(event, event_id=event_id_for(command_id, 0), occurred_at=NOW, recorded_at=NOW,
                actor=OPERATOR, correlation_id=command_id, causation_id=command_id)  # fmt: skip


def test_given_50000_mad_when_12000_are_spent_then_38000_remain() -> None:
    state, events = given(gift(), purchase("buy-1", 1_200_000))
    assert isinstance(events[-1], PurchaseRecorded)
    assert events[-1].remaining == 3_800_000
    assert state.spent == 1_200_000


def test_spending_more_than_remains_is_refused_saying_what_remains() -> None:
    state, _ = given(gift(), purchase("buy-1", 4_000_000))
    with pytest.raises(Refused) as refusal:
        DECIDER.decide(state, purchase("buy-2", 1_000_001), NOW)
    assert refusal.value.code == "insufficient_funds"
    assert refusal.value.details["remaining"] == 1_000_000
    assert "10000.00 MAD" in refusal.value.message
    _, events = given(gift(), purchase("buy-1", 4_000_000), purchase("buy-2", 1_000_000))
    assert events[-1].remaining == 0  # type: ignore[attr-defined]


def test_a_purchase_in_another_currency_or_of_no_cash_donation_is_refused() -> None:
    state, _ = given(gift())
    with pytest.raises(Rejected) as currency:
        DECIDER.decide(state, purchase("buy-1", 100, currency="EUR"), NOW)
    assert currency.value.code == "other_currency"
    goods = DonationReceived(donation_id=CASH, donor_id="fondation-atlas", location_id="wh-casa",
                             item_id="flour-25kg", quantity=10)  # fmt: skip
    of_goods = reduce(DECIDER.evolve, [goods], Registration())
    for state in (Registration(), of_goods):
        with pytest.raises(Refused) as unknown:
            DECIDER.decide(state, purchase("buy-1", 100), NOW)
        assert unknown.value.code == "unknown_cash_donation"


def test_a_cash_donation_is_recorded_once() -> None:
    state, events = given(gift())
    assert len(events) == 1
    assert DECIDER.decide(state, gift(), NOW) == []
    with pytest.raises(Refused):
        DECIDER.decide(state, gift(amount=1), NOW)


def test_a_purchase_is_received_as_a_lot_carrying_the_cash_donation() -> None:
    _, events = given(gift(), purchase("buy-1", 1_200_000))
    bought = events[-1]
    assert isinstance(bought, PurchaseRecorded)
    envelope = wrapped(bought, "RecordPurchase:buy-1")
    command, wire = receive_stock(bought, envelope)
    assert command == ReceiveStock(
        receipt_id="buy-1", location_id="wh-casa", item_id="flour-25kg", quantity=300,
        lot="buy-1", donation_id=CASH,
    )  # fmt: skip
    assert wire.command_id == receipt_id("buy-1")
    assert receive_stock(bought, envelope) == (command, wire)  # reacting again: the same


def test_a_donation_naming_a_pledge_counts_towards_it_under_an_id_from_the_donation() -> None:
    cash = gift(pledge_id="pledge-atlas-cash").donation
    command, wire = fulfil(cash, wrapped(cash, f"RecordCashDonation:{CASH}"))  # type: ignore[misc]
    assert command == RecordPledgeFulfilment(
        pledge_id="pledge-atlas-cash", donation_id=CASH, quantity=5_000_000, currency="MAD"
    )
    assert wire.command_id == f"RecordPledgeFulfilment:{CASH}"
    goods = DonationReceived(donation_id="don-1", donor_id="fondation-atlas",
                             location_id="wh-casa", item_id="flour-25kg", quantity=10)  # fmt: skip
    assert fulfil(goods, wrapped(goods, "RecordDonation:don-1")) is None
