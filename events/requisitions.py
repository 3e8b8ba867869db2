"""Requisitions: a location asks a warehouse for stock; keyed by the requisition."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from events.base import Event, Identifier, PositiveQuantity

Reason = Annotated[str, Field(min_length=1, max_length=500)]
Count = Annotated[int, Field(ge=0, lt=10**9, strict=True)]


class RequisitionLine(BaseModel):
    """A quantity of one item, asked, approved, dispatched or received."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: Identifier
    quantity: PositiveQuantity


class ReceivedLine(BaseModel):
    """What arrived of one item under a requisition's transfer (none of it, perhaps)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: Identifier
    quantity: Count


class _RequisitionEvent(Event):
    STREAM = "requisitions"

    requisition_id: Identifier

    @property
    def aggregate_id(self) -> str:
        return self.requisition_id


class RequisitionRaised(_RequisitionEvent):
    """A site or a provincial warehouse asks a supplying warehouse for `lines` by a date."""

    TYPE = "RequisitionRaised"

    requesting_location_id: Identifier
    supplying_location_id: Identifier
    lines: list[RequisitionLine] = Field(min_length=1)
    needed_by: date


class RequisitionApproved(_RequisitionEvent):
    """A coordinator approved `lines` (never more than asked): transfer `transfer_id` is to
    carry them from the supplier to the requester. With `operation_id`, they travel by convoy
    within that relief operation: `transfer_id` is then the convoy's (deployment's) id, which
    its stock moves under too."""

    TYPE = "RequisitionApproved"

    transfer_id: Identifier
    supplying_location_id: Identifier
    requesting_location_id: Identifier
    lines: list[RequisitionLine] = Field(min_length=1)
    operation_id: Identifier | None = None


class RequisitionRejected(_RequisitionEvent):
    """A coordinator refused the requisition, and said why."""

    TYPE = "RequisitionRejected"

    reason: Reason


class RequisitionDispatchRecorded(_RequisitionEvent):
    """The requisition's transfer left the supplier with `lines` (by item)."""

    TYPE = "RequisitionDispatchRecorded"

    transfer_id: Identifier
    lines: list[RequisitionLine] = Field(min_length=1)


class RequisitionDispatchRefused(_RequisitionEvent):
    """The supplier's writer refused the transfer (not enough stock, for one): `available`
    of `item_id` were there when `requested` were asked."""

    TYPE = "RequisitionDispatchRefused"

    transfer_id: Identifier
    error: str = Field(min_length=1, max_length=64)
    message: Reason
    item_id: Identifier | None = None
    requested: Count | None = None
    available: Count | None = None


class RequisitionReceiptRecorded(_RequisitionEvent):
    """The requisition's transfer arrived: `lines` is what was received, by item."""

    TYPE = "RequisitionReceiptRecorded"

    transfer_id: Identifier
    lines: list[ReceivedLine]


class RequisitionClosed(_RequisitionEvent):
    """Nothing more will move under the requisition: complete, or closed short (`reason`)."""

    TYPE = "RequisitionClosed"

    short: bool
    reason: Reason | None = None
