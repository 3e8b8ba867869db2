"""What can be asked of a requisition's writer: by people, and by the policies that carry
its transfer's dispatch and receipt back to it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from events.base import Identifier
from events.requisitions import Count, Reason, ReceivedLine, RequisitionLine
from services.domain.commands import Command, unsaid

STREAM = "requisition-commands"


class _RequisitionCommand(Command):
    STREAM = STREAM

    requisition_id: Identifier

    @property
    def aggregate_id(self) -> str:
        return self.requisition_id


class RaiseRequisition(_RequisitionCommand):
    """A location asks a supplying warehouse for `lines`, needed by a date."""

    TYPE = "RaiseRequisition"

    requesting_location_id: Identifier
    supplying_location_id: Identifier
    lines: list[RequisitionLine] = Field(min_length=1, max_length=100)
    needed_by: date


class ApprovedQuantity(BaseModel):
    """How many of a requested item a coordinator approves (0: none of it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: Identifier
    quantity: Count


class ApproveRequisition(_RequisitionCommand):
    """Approve the lines as asked, or fewer; an item left out is approved as asked. With
    `operation_id` (an open relief operation, checked by the application layer), the lines
    travel by convoy within it rather than as a plain transfer."""

    TYPE = "ApproveRequisition"

    lines: list[ApprovedQuantity] = Field(default_factory=list, max_length=100)
    # an approval by transfer keeps the shape (and digest) it always had
    operation_id: Identifier | None = Field(default=None, exclude_if=unsaid)


class RejectRequisition(_RequisitionCommand):
    TYPE = "RejectRequisition"

    reason: Reason


class CloseRequisition(_RequisitionCommand):
    """Close short: nothing more will come of what was approved and not received."""

    TYPE = "CloseRequisition"

    reason: Reason


class RecordRequisitionDispatch(_RequisitionCommand):
    TYPE = "RecordRequisitionDispatch"

    transfer_id: Identifier
    lines: list[RequisitionLine] = Field(min_length=1)


class RecordRequisitionDispatchRefused(_RequisitionCommand):
    TYPE = "RecordRequisitionDispatchRefused"

    transfer_id: Identifier
    error: str = Field(min_length=1, max_length=64)
    message: Reason
    item_id: Identifier | None = None
    requested: Count | None = None
    available: Count | None = None


class RecordRequisitionReceipt(_RequisitionCommand):
    TYPE = "RecordRequisitionReceipt"

    transfer_id: Identifier
    lines: list[ReceivedLine]


REQUISITION_COMMANDS: dict[str, type[Command]] = {
    c.TYPE: c
    for c in (
        RaiseRequisition,
        ApproveRequisition,
        RejectRequisition,
        CloseRequisition,
        RecordRequisitionDispatch,
        RecordRequisitionDispatchRefused,
        RecordRequisitionReceipt,
    )
}
