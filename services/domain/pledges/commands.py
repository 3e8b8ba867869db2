"""What can be asked of a pledge's writer: by people, and by the policy that counts the
donations naming it."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from events.base import Identifier, PositiveQuantity
from events.money import Currency
from events.pledges import Amount, Reason
from services.domain.commands import Command

STREAM = "pledge-commands"


class _PledgeCommand(Command):
    STREAM = STREAM

    pledge_id: Identifier

    @property
    def aggregate_id(self) -> str:
        return self.pledge_id


class MakePledge(_PledgeCommand):
    """A donor promises goods (item, quantity) or money (amount, currency) by `due_on`."""

    TYPE = "MakePledge"

    donor_id: Identifier
    due_on: date
    item_id: Identifier | None = None
    quantity: PositiveQuantity | None = None
    amount: Amount | None = None
    currency: Currency | None = None


class CancelPledge(_PledgeCommand):
    TYPE = "CancelPledge"

    reason: Reason


class RecordPledgeFulfilment(_PledgeCommand):
    """Donation `donation_id` gave `quantity` of `item_id` (goods) or `quantity` minor units
    of `currency` (money) towards the pledge."""

    TYPE = "RecordPledgeFulfilment"

    donation_id: Identifier
    quantity: Amount
    item_id: Identifier | None = None
    currency: Currency | None = Field(default=None)


PLEDGE_COMMANDS: dict[str, type[Command]] = {
    c.TYPE: c for c in (MakePledge, CancelPledge, RecordPledgeFulfilment)
}
