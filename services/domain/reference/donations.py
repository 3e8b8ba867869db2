"""The donation's writer: goods and cash donations, each recorded once, and the purchases
that spend a cash donation, never beyond what it holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime

from pydantic import Field

from events import Event, Identifier
from events.base import PositiveQuantity
from events.money import Currency, MinorUnits, to_decimal
from events.relief import CashDonationReceived, PurchaseRecorded
from services.domain.commands import Command
from services.domain.decisions import Refused, Rejected
from services.domain.reference.decider import (
    RecordDonation,
    Register,
    Registration,
    decide,
    evolve,
)

STREAM = "donation-commands"


class RecordCashDonation(Register):
    TYPE = "RecordCashDonation"
    STREAM = STREAM
    donation: CashDonationReceived


class RecordPurchase(Command):
    """Spend `amount` of cash donation `donation_id` on goods received at `location_id`."""

    TYPE = "RecordPurchase"
    STREAM = STREAM

    purchase_id: Identifier
    donation_id: Identifier
    supplier: str = Field(min_length=1, max_length=200)
    location_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    amount: MinorUnits
    currency: Currency
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None

    @property
    def aggregate_id(self) -> str:
        return self.donation_id


@evolve.register
def _(state: Registration, event: PurchaseRecorded) -> Registration:
    return replace(state, spent=state.spent + event.amount)


@decide.register
def _(state: Registration, command: RecordPurchase, now: datetime) -> list[Event]:
    """Within what the cash donation still holds, in its own currency."""
    values = state.values
    if values is None or "amount" not in values:
        raise Refused(
            "unknown_cash_donation",
            f"no cash donation {command.donation_id!r}",
            donation_id=command.donation_id,
        )
    currency = values["currency"]
    if command.currency != currency:
        raise Rejected(
            "other_currency",
            f"the donation is in {currency}: record the purchase in {currency}",
            field="currency",
            currency=currency,
        )
    remaining = values["amount"] - state.spent
    if command.amount > remaining:
        raise Refused(
            "insufficient_funds",
            f"the donation holds {to_decimal(remaining, currency)} {currency}: "
            f"a purchase of {to_decimal(command.amount, currency)} is more",
            remaining=remaining,
            currency=currency,
        )
    return [PurchaseRecorded(**command.model_dump(), remaining=remaining - command.amount)]


class DonationDecider:
    """Decides the recording of donations (goods or cash), each once, and purchases."""

    event_stream: str = "donations"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = {
        c.TYPE: c for c in (RecordDonation, RecordCashDonation, RecordPurchase)
    }
    initial = staticmethod(Registration)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
