"""Stock movements, keyed by the location whose stock they change."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from events.base import Event, Identifier, PositiveQuantity, SignedQuantity


class StockReceived(Event):
    """Goods arrived at a location and became a lot (optionally from a donation)."""

    TYPE = "StockReceived"
    STREAM = "stock"

    receipt_id: Identifier
    location_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None
    donation_id: Identifier | None = None

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class TransferLine(BaseModel):
    """A quantity of one lot moving between locations."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: Identifier
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None
    donation_id: Identifier | None = None
    quantity: PositiveQuantity


class TransferDispatched(Event):
    """Stock left a location for another; it is in transit until received."""

    TYPE = "TransferDispatched"
    STREAM = "stock"

    transfer_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    lines: list[TransferLine] = Field(min_length=1)
    deployment_id: Identifier | None = None
    # a transfer sending back what arrived under another one, and why
    returns_transfer_id: Identifier | None = None
    reason: str | None = Field(default=None, min_length=1, max_length=100)
    # the requisition whose approved lines this transfer carries
    requisition_id: Identifier | None = None

    @property
    def aggregate_id(self) -> str:
        return self.from_location_id


class TransferReceived(Event):
    """A dispatched transfer arrived; `lines` is what was actually received."""

    TYPE = "TransferReceived"
    STREAM = "stock"

    transfer_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    lines: list[TransferLine]
    deployment_id: Identifier | None = None
    requisition_id: Identifier | None = None

    @property
    def aggregate_id(self) -> str:
        return self.to_location_id


class TransferDiscrepancyRecorded(Event):
    """Part of a transfer never arrived: `missing` units of one lot were lost in transit."""

    TYPE = "TransferDiscrepancyRecorded"
    STREAM = "stock"

    transfer_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    item_id: Identifier
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None
    donation_id: Identifier | None = None
    missing: PositiveQuantity
    deployment_id: Identifier | None = None

    @property
    def aggregate_id(self) -> str:
        return self.to_location_id


class TransferCancelled(Event):
    """The destination will not receive a transfer still on its way: it goes back."""

    TYPE = "TransferCancelled"
    STREAM = "stock"

    transfer_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    lines: list[TransferLine] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.to_location_id


class TransferReturned(Event):
    """A cancelled transfer's stock is back in the origin's lots."""

    TYPE = "TransferReturned"
    STREAM = "stock"

    transfer_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    lines: list[TransferLine] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.from_location_id


AdjustmentReason = Literal["damaged", "expired", "lost", "stolen", "found"]


class StockAdjusted(Event):
    """On-hand of one lot changed outside a movement: removed (damaged…) or found."""

    TYPE = "StockAdjusted"
    STREAM = "stock"

    adjustment_id: Identifier
    location_id: Identifier
    item_id: Identifier
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None
    donation_id: Identifier | None = None
    quantity: SignedQuantity
    reason: AdjustmentReason

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class StockCounted(Event):
    """A physical count of one lot; on-hand becomes the count, `variance` is the difference."""

    TYPE = "StockCounted"
    STREAM = "stock"

    count_id: Identifier
    location_id: Identifier
    item_id: Identifier
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None
    donation_id: Identifier | None = None
    counted_quantity: int = Field(ge=0, lt=10**9)
    variance: SignedQuantity

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class StockThresholdSet(Event):
    """Below `minimum` units of an item, a location raises a low-stock alert."""

    TYPE = "StockThresholdSet"
    STREAM = "stock"

    location_id: Identifier
    item_id: Identifier
    minimum: int = Field(ge=0, lt=10**9)

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class StockDistributed(Event):
    """Stock handed out to a household at a site, lot by lot; a site may go below zero."""

    TYPE = "StockDistributed"
    STREAM = "stock"

    distribution_id: Identifier
    location_id: Identifier
    item_id: Identifier
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None
    donation_id: Identifier | None = None
    quantity: PositiveQuantity
    campaign_id: Identifier
    region_code: str
    province_code: str | None = None

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class VoidedLine(BaseModel):
    """What a void does to one lot: the opposite of what the voided entry did to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: Identifier
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None
    donation_id: Identifier | None = None
    quantity: SignedQuantity


VoidReason = Annotated[str, Field(min_length=1, max_length=100)]


class StockEntryVoided(Event):
    """An entry recorded by mistake, cancelled by its opposite: the entry stays in the log
    (and on the stock card, marked as voided), `lines` undo what it did to each lot."""

    STREAM = "stock"
    ENTRY: ClassVar[Literal["receipt", "adjustment", "count", "distribution"]]

    entry_id: Identifier
    location_id: Identifier
    lines: list[VoidedLine]
    reason: VoidReason

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class StockReceiptVoided(StockEntryVoided):
    """A receipt that never happened as recorded (a typo in the quantity, the wrong item)."""

    TYPE = "StockReceiptVoided"
    ENTRY = "receipt"


class StockAdjustmentVoided(StockEntryVoided):
    """An adjustment recorded by mistake."""

    TYPE = "StockAdjustmentVoided"
    ENTRY = "adjustment"


class StockCountVoided(StockEntryVoided):
    """A count recorded by mistake: its variance is undone."""

    TYPE = "StockCountVoided"
    ENTRY = "count"


class StockDistributionVoided(StockEntryVoided):
    """A distribution voided: what it took from the site's lots comes back."""

    TYPE = "StockDistributionVoided"
    ENTRY = "distribution"
