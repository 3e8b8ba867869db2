"""Pledges: what a donor promised to give (goods by a date, or money); keyed by the pledge."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, model_validator

from events.base import Event, Identifier, PositiveQuantity
from events.money import Currency

Reason = Annotated[str, Field(min_length=1, max_length=500)]
Amount = Annotated[int, Field(gt=0, lt=10**15, strict=True)]
Total = Annotated[int, Field(ge=0, lt=10**15, strict=True)]


class _PledgeEvent(Event):
    STREAM = "pledges"

    pledge_id: Identifier

    @property
    def aggregate_id(self) -> str:
        return self.pledge_id


class PledgeMade(_PledgeEvent):
    """A donor promised `quantity` of an item, or `amount` minor units of a currency, by
    `due_on`: exactly one of the two."""

    TYPE = "PledgeMade"

    donor_id: Identifier
    due_on: date
    item_id: Identifier | None = None
    quantity: PositiveQuantity | None = None
    amount: Amount | None = None
    currency: Currency | None = None

    @model_validator(mode="after")
    def _goods_or_money(self) -> PledgeMade:
        goods = (self.item_id, self.quantity)
        money = (self.amount, self.currency)
        if not (all(v is not None for v in goods) and all(v is None for v in money)) and not (
            all(v is not None for v in money) and all(v is None for v in goods)
        ):
            raise ValueError("a pledge is goods (item_id, quantity) or money (amount, currency)")
        return self

    @property
    def pledged(self) -> int:
        """Units of the item, or minor units of the currency."""
        return self.quantity if self.quantity is not None else self.amount or 0


class PledgeCancelled(_PledgeEvent):
    """The donor withdrew what is still outstanding (what arrived stays received)."""

    TYPE = "PledgeCancelled"

    reason: Reason


class PledgeFulfilmentRecorded(_PledgeEvent):
    """A donation counted towards the pledge: `quantity` units (or minor units) of it;
    `received` is the pledge's total so far, which may pass what was pledged."""

    TYPE = "PledgeFulfilmentRecorded"

    donation_id: Identifier
    quantity: Amount
    received: Total
