"""Pledges, cash donations and purchases as the API reads and writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from api.schemas.common import NEXT, Body, ClientId, Quantity, UtcDatetime, Written


def _decimal_string(value: Any) -> Any:
    """An amount as a decimal string ("12.50") stays a Decimal until its currency scales it."""
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError("an amount is whole minor units or a decimal string") from None
    return value


Amount = Annotated[
    int | Decimal,
    BeforeValidator(_decimal_string),
    Field(
        description="Whole minor units of the currency (1250 is 12.50 EUR), or a decimal "
        'string in the currency ("12.50").',
        examples=[1250, "12.50"],
    ),
]
CurrencyCode = Annotated[
    str, Field(min_length=3, max_length=3, description="ISO 4217", examples=["MAD"])
]


class PledgeCreate(Body):
    """Goods (`item_id`, `quantity`) or money (`amount`, `currency`), due by `due_on`."""

    id: ClientId
    donor_id: ClientId
    due_on: date
    item_id: ClientId | None = None
    quantity: Quantity | None = None
    amount: Amount | None = None
    currency: CurrencyCode | None = None


class PledgeWritten(Written):
    """The pledge as recorded; read it back (`GET /v1/pledges/{id}`) for what has arrived."""

    id: str
    donor_id: str
    kind: str = Field(description="goods or money")
    item_id: str | None
    currency: str | None
    pledged: int = Field(description="Units of the item, or minor units of the currency.")
    due_on: date


class PledgePublic(BaseModel):
    """`pledged`, `received`, `outstanding` and `over` count units of the item, or minor
    units of the currency."""

    id: str
    donor_id: str
    kind: str = Field(description="goods or money")
    item_id: str | None
    currency: str | None
    due_on: date
    pledged: int
    received: int
    outstanding: int
    over: int = Field(description="What arrived beyond the pledge (allowed).")
    status: str = Field(description="open, fulfilled or cancelled")
    made_at: UtcDatetime
    cancelled_at: UtcDatetime | None = None
    position: str | None = None


class PledgeList(BaseModel):
    items: list[PledgePublic]
    next: str | None = Field(default=None, description=NEXT)


class PledgeCancelling(Body):
    reason: str = Field(min_length=1, max_length=500, examples=["the shipment will not come"])


class CashDonationCreate(Body):
    id: ClientId
    donor_id: ClientId
    amount: Amount
    currency: CurrencyCode
    pledge_id: ClientId | None = None


class CashDonationPublic(Written):
    id: str
    donor_id: str
    amount: int = Field(description="Minor units of the currency.")
    currency: str
    pledge_id: str | None = None


class PurchaseCreate(Body):
    """Goods bought with cash donation `donation_id`, received at `location_id`."""

    id: ClientId
    donation_id: ClientId
    supplier: str = Field(min_length=1, max_length=200, examples=["Minoterie du Souss"])
    location_id: ClientId
    item_id: ClientId
    quantity: Quantity
    amount: Amount
    currency: CurrencyCode
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    expires_on: date | None = None


class PurchasePublic(Written):
    id: str
    donation_id: str
    location_id: str
    item_id: str
    quantity: int
    amount: int
    currency: str


class SpentOn(BaseModel):
    purchase_id: str
    supplier: str
    location_id: str
    item_id: str
    quantity: int
    amount: int
    purchased_at: UtcDatetime


class CashDonationRead(BaseModel):
    """A cash donation with what its purchases spent and what remains (minor units)."""

    id: str
    donor_id: str
    amount: int
    currency: str
    spent: int
    remaining: int
    pledge_id: str | None
    received_at: UtcDatetime
    purchases: list[SpentOn]
