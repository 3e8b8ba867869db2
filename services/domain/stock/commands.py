"""What can be asked of a location's stock."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events.base import Identifier, PositiveQuantity
from events.stock import AdjustmentReason, TransferLine, VoidReason
from services.domain.commands import Caused, Command, GatheredCommand, unsaid

STREAM = "stock-commands"
LotCode = Annotated[str, Field(min_length=1, max_length=64)]


class ReceiveStock(Command):
    TYPE = "ReceiveStock"
    STREAM = STREAM

    receipt_id: Identifier
    location_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    lot: LotCode
    expires_on: date | None = None
    donation_id: Identifier | None = None
    occurred_at: AwareDatetime | None = None

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class RequestedLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: Identifier
    quantity: PositiveQuantity
    lot: LotCode | None = None


class _ForRequisition(Command):
    """A transfer movement that may carry a requisition's approved lines."""

    # a transfer of no requisition keeps the shape (and digest) it always had
    requisition_id: Identifier | None = Field(default=None, exclude_if=unsaid)


class DispatchTransfer(_ForRequisition):
    TYPE = "DispatchTransfer"
    STREAM = STREAM

    transfer_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    lines: list[RequestedLine] = Field(min_length=1)
    allow_expired: bool = False
    deployment_id: Identifier | None = None

    @property
    def aggregate_id(self) -> str:
        return self.from_location_id


class SentBackLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: Identifier
    lot: LotCode
    quantity: PositiveQuantity


class SendBackTransfer(Command):
    """Stock that arrived under `returns_transfer_id` sent back where it came from, lot by
    lot, as a new transfer `transfer_id` (received there like any other)."""

    TYPE = "SendBackTransfer"
    STREAM = STREAM

    transfer_id: Identifier
    returns_transfer_id: Identifier
    from_location_id: Identifier  # where the returned transfer arrived
    to_location_id: Identifier  # where it had come from
    lines: list[SentBackLine] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.from_location_id


class ReceiveTransfer(_ForRequisition):
    """`dispatched` is what left the source (from the in-transit read model)."""

    TYPE = "ReceiveTransfer"
    STREAM = STREAM

    transfer_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    dispatched: list[TransferLine]
    received: dict[str, Annotated[int, Field(ge=0, lt=10**9)]]
    deployment_id: Identifier | None = None

    @property
    def aggregate_id(self) -> str:
        return self.to_location_id


class CancelTransfer(Command):
    """The destination refuses a transfer still on its way; `dispatched` is what left the
    source (from the in-transit read model)."""

    TYPE = "CancelTransfer"
    STREAM = STREAM

    transfer_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    dispatched: list[TransferLine] = Field(min_length=1)
    reason: VoidReason

    @property
    def aggregate_id(self) -> str:
        return self.to_location_id


class ReturnTransfer(Command):
    """Put a cancelled transfer's lots back at its origin."""

    TYPE = "ReturnTransfer"
    STREAM = STREAM

    transfer_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    lines: list[TransferLine] = Field(min_length=1)
    reason: VoidReason

    @property
    def aggregate_id(self) -> str:
        return self.from_location_id


class AdjustStock(Command):
    TYPE = "AdjustStock"
    STREAM = STREAM

    adjustment_id: Identifier
    location_id: Identifier
    item_id: Identifier
    lot: LotCode | None = None
    quantity: PositiveQuantity
    reason: AdjustmentReason

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class CountStock(Command):
    TYPE = "CountStock"
    STREAM = STREAM

    count_id: Identifier
    location_id: Identifier
    item_id: Identifier
    lot: LotCode | None = None
    counted_quantity: int = Field(ge=0, lt=10**9)

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class SetStockThreshold(Command):
    TYPE = "SetStockThreshold"
    STREAM = STREAM

    location_id: Identifier
    item_id: Identifier
    minimum: int = Field(ge=0, lt=10**9)

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class ConsumeForDistribution(Command):
    """Take a distribution's quantity out of the site's stock: FEFO, never refused."""

    TYPE = "ConsumeForDistribution"
    STREAM = STREAM

    distribution_id: Identifier
    site_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    campaign_id: Identifier
    region_code: str
    province_code: str | None = None

    @property
    def aggregate_id(self) -> str:
        return self.site_id


class ConsumeForDistributions(GatheredCommand):
    """Distributions' consumptions for the sites of one partition of the stock commands (the
    distribution policy's, gathered per batch of events), each decided as it would be alone
    and in their order."""

    TYPE = "ConsumeForDistributions"
    STREAM = STREAM
    ONE = ConsumeForDistribution
    MAX = 500  # about 600 bytes each in the command, 150 in the reply

    gathered: list[Caused[ConsumeForDistribution]] = Field(min_length=1, max_length=MAX)


# A distribution is voided by its household's writer; its stock comes back by a policy.
VoidableEntry = Literal["receipt", "adjustment", "count", "distribution"]


class VoidStockEntry(Command):
    """Cancel a receipt, an adjustment, a count or a distribution recorded by mistake."""

    TYPE = "VoidStockEntry"
    STREAM = STREAM

    location_id: Identifier
    entry: VoidableEntry
    entry_id: Identifier
    reason: VoidReason

    @property
    def aggregate_id(self) -> str:
        return self.location_id


STOCK_COMMANDS: dict[str, type[Command]] = {
    c.TYPE: c
    for c in (
        ReceiveStock,
        DispatchTransfer,
        ReceiveTransfer,
        AdjustStock,
        CountStock,
        SetStockThreshold,
        ConsumeForDistribution,
        ConsumeForDistributions,
        VoidStockEntry,
        CancelTransfer,
        ReturnTransfer,
        SendBackTransfer,
    )
}
