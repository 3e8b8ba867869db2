"""Requisitions: asked by a location of a warehouse, decided by a coordinator."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import NEXT, Body, ClientId, Quantity, UtcDatetime


class RequisitionLineCreate(Body):
    item_id: ClientId
    quantity: Quantity


class RequisitionCreate(Body):
    id: ClientId | None = Field(default=None, description="Defaults to Idempotency-Key.")
    requesting_location_id: ClientId = Field(description="The site or warehouse asking.")
    supplying_location_id: ClientId = Field(description="The warehouse asked.")
    lines: list[RequisitionLineCreate] = Field(min_length=1, max_length=100)
    needed_by: date


class ApprovalLine(Body):
    item_id: ClientId
    quantity: int = Field(ge=0, lt=10**9, strict=True, description="At most what was asked.")


class Approval(Body):
    lines: list[ApprovalLine] = Field(
        default_factory=list,
        max_length=100,
        description="Fewer units of some lines; a line left out is approved as asked.",
    )
    operation_id: ClientId | None = Field(
        default=None,
        description="Send the approved lines by convoy within this open relief operation;"
        " without it they leave as a transfer.",
    )


class Rejection(Body):
    reason: str = Field(min_length=1, max_length=500, examples=["covered by convoy 7"])


class Closure(Body):
    reason: str = Field(min_length=1, max_length=500, examples=["10 sacks lost on the road"])


class RequisitionLinePublic(BaseModel):
    item_id: str
    requested: int
    approved: int
    dispatched: int
    received: int


class RequisitionPublic(BaseModel):
    id: str
    requesting_location_id: str
    supplying_location_id: str
    needed_by: date
    status: str = Field(
        description="raised, approved, dispatch_refused, dispatched, received (short, still"
        " open), rejected or closed."
    )
    transfer_id: str | None = Field(description="The transfer of the latest approval.")
    operation_id: str | None = Field(
        default=None, description="The relief operation whose convoy carries the approval."
    )
    deployment_id: str | None = Field(
        default=None,
        description="The convoy carrying the latest approval, when it travels by convoy (its"
        " stock moves under the same id, `transfer_id`).",
    )
    reason: str | None = Field(description="Why it was rejected or closed short.")
    refusal: dict[str, Any] | None = Field(
        description="What the supplying warehouse said when it refused the transfer:"
        " error, message, item_id, requested, available."
    )
    raised_at: UtcDatetime
    raised_by: str
    decided_at: UtcDatetime | None
    closed_at: UtcDatetime | None
    lines: list[RequisitionLinePublic]


class RequisitionList(BaseModel):
    items: list[RequisitionPublic]
    next: str | None = Field(default=None, description=NEXT)
