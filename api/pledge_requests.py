"""Pledge, cash and purchase bodies as the application layer's facts and requests."""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from api.schemas.pledges import CashDonationCreate, PledgeCreate, PurchaseCreate
from events.money import MINOR_UNITS, to_minor
from events.pledges import PledgeMade
from events.relief import CashDonationReceived
from services.app.cash import Purchase
from services.app.errors import Invalid


def minor_units(amount: int | Decimal | None, currency: str | None) -> int | None:
    """Whole minor units of `currency` (422 for an unknown code or too fine an amount)."""
    if amount is None:
        return None
    if currency is None:
        if isinstance(amount, int):
            return amount  # refused with the pledge: money needs its currency
        raise Invalid("an amount needs its currency", field="currency")
    if currency not in MINOR_UNITS:
        raise Invalid(f"{currency!r} is not an ISO 4217 currency code", field="currency")
    if isinstance(amount, int):
        return amount
    try:
        return to_minor(amount, currency)
    except ValueError as error:
        raise Invalid(str(error), field="amount") from None


def _invalid(error: ValidationError) -> Invalid:
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else None
    return Invalid(first["msg"].removeprefix("Value error, "), field=field)


def pledge(body: PledgeCreate) -> PledgeMade:
    amount = minor_units(body.amount, body.currency)
    try:
        return PledgeMade(
            pledge_id=body.id, donor_id=body.donor_id, due_on=body.due_on, item_id=body.item_id,
            quantity=body.quantity, amount=amount, currency=body.currency,
        )  # fmt: skip
    except ValidationError as error:
        raise _invalid(error) from None


def cash(body: CashDonationCreate) -> CashDonationReceived:
    amount = minor_units(body.amount, body.currency)
    assert amount is not None  # both are required
    try:
        return CashDonationReceived(
            donation_id=body.id, donor_id=body.donor_id, amount=amount, currency=body.currency,
            pledge_id=body.pledge_id,
        )  # fmt: skip
    except ValidationError as error:
        raise _invalid(error) from None


def purchase(body: PurchaseCreate) -> Purchase:
    amount = minor_units(body.amount, body.currency)
    assert amount is not None  # both are required
    if amount <= 0:
        raise Invalid("a purchase costs more than nothing", field="amount")
    return Purchase(**body.model_dump(exclude={"amount"}), amount=amount)
