"""Operations, deployments, donors, donations and donor traces."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from api.schemas.common import NEXT, Body, ClientId, Quantity, UtcDatetime, Written


class OperationCreate(Body):
    id: ClientId
    name: str = Field(min_length=1, max_length=200, examples=["Séisme d'Al Haouz"])
    kind: str = Field(min_length=1, max_length=40, examples=["earthquake"])
    region_codes: list[str] = Field(default_factory=list, max_length=100)
    starts_on: date | None = None
    ends_on: date | None = None


class OperationPublic(Written):
    id: str
    name: str
    kind: str
    region_codes: list[str]
    starts_on: date | None
    ends_on: date | None


class OperationClosing(Body):
    reason: str | None = Field(default=None, max_length=500, examples=["handed to recovery"])


class DonorCreate(Body):
    id: ClientId
    name: str = Field(min_length=1, max_length=200)


class DonorPublic(Written):
    id: str
    name: str


class DonationCreate(Body):
    id: ClientId
    donor_id: ClientId
    location_id: ClientId
    item_id: ClientId
    quantity: Quantity
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    expires_on: date | None = None
    pledge_id: ClientId | None = Field(
        default=None, description="The pledge it fulfils, in part or beyond (same donor, item)."
    )


class DonationPublic(Written):
    id: str
    donor_id: str
    location_id: str
    item_id: str
    quantity: int


class Line(Body):
    item_id: ClientId
    quantity: Quantity


class ArrivedLine(Body):
    item_id: ClientId
    quantity: int = Field(ge=0, lt=10**9, strict=True)


class DeploymentCreate(Body):
    id: ClientId
    operation_id: ClientId
    from_location_id: ClientId
    to_location_id: ClientId
    lines: list[Line] = Field(min_length=1, max_length=100)
    expected_hours: int = Field(default=48, ge=1, le=24 * 60)

    @field_validator("to_location_id")
    @classmethod
    def _elsewhere(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("from_location_id"):
            raise ValueError("a convoy must go to another location than it leaves")
        return value


class Delivery(Body):
    lines: list[ArrivedLine] = Field(min_length=1, max_length=100)


class Cancellation(Body):
    reason: str | None = Field(default=None, max_length=500)


class Closing(Body):
    reason: str | None = Field(default=None, max_length=500)


class DeploymentPublic(Written):
    id: str
    operation_id: str
    from_location_id: str
    to_location_id: str
    status: str
    expected_hours: int
    requisition_id: str | None = Field(
        default=None, description="The requisition whose approved lines the convoy carries."
    )
    planned: list[dict[str, Any]]
    dispatched: list[dict[str, Any]] | None = None
    delivered: list[dict[str, Any]] | None = None
    planned_at: UtcDatetime
    dispatched_at: UtcDatetime | None = None
    delivered_at: UtcDatetime | None = None
    cancelled_at: UtcDatetime | None = None
    closed_at: UtcDatetime | None = None
    hours_in_transit: float | None = None
    overdue: bool = False


class DeploymentList(BaseModel):
    items: list[DeploymentPublic]
    next: str | None = Field(default=None, description=NEXT)


class StockAt(BaseModel):
    location_id: str
    quantity: int = Field(description="The donation's units there, inside kits included.")
    in_kits: int = Field(
        default=0, description="Of `quantity`, the units inside kits (its share of them)."
    )


class Distributed(BaseModel):
    quantity: int
    households: int
    by_region: list[dict[str, Any]]
    by_province: list[dict[str, Any]]
    by_campaign: list[dict[str, Any]]
    by_month: list[dict[str, Any]]


class KitLotShare(BaseModel):
    kit_item_id: str
    lot: str
    item_id: str = Field(description="The donated item, a component of the kit.")
    units: int = Field(description="Units of the donation in this kit lot.")
    kits: int = Field(description="Kits in the lot (net of kits broken up).")


class ThroughKits(BaseModel):
    lots: list[KitLotShare]
    units_handed: int = Field(
        description="The donation's share of the kits handed out (each kit of a lot carries "
        "units / kits of it), counted in `distributed`."
    )
    units_lost: int = Field(description="Its share of the kits lost, counted in `lost`.")
    kits_handed: Distributed = Field(description="Kits handed out that hold some of it.")


class ItemKitShares(BaseModel):
    units_handed: int = Field(description="The item's part of `through_kits.units_handed`.")
    units_lost: int = Field(description="The item's part of `through_kits.units_lost`.")


class TraceItem(BaseModel):
    """One item of a donation (a cash donation's purchases can be of several): its parts
    add up to its `received`; each part summed over the items is the trace's total."""

    item_id: str
    received: int
    in_stock: int = Field(description="In stock, all locations together (kits included).")
    in_transit: int = Field(description="On its way (kits included).")
    distributed: int
    lost: int
    in_kits: int = Field(description="Of `in_stock` and `in_transit`, the units inside kits.")
    in_kits_in_transit: int = Field(description="Of `in_transit`, the units inside kits.")
    through_kits: ItemKitShares


class DonorTrace(BaseModel):
    """`received` = `in_stock` (summed over locations) + `in_transit` + `distributed` +
    `lost`. Units inside kits are counted in those parts, in the donation's own unit: kits
    in stock in `in_stock` where they are, kits on their way in `in_transit`, kits handed out
    in `distributed`, kits lost in `lost`; `in_kits`, `in_kits_in_transit` and
    `through_kits` only say how much of them sits inside kits."""

    donation_id: str
    received: int
    in_stock: list[StockAt] = Field(
        description="By location, kits there included (their part in each `in_kits`)."
    )
    in_transit: int = Field(description="On a transfer or convoy, kits included.")
    distributed: Distributed
    lost: int
    in_kits: int = Field(
        description="Informational: of `in_stock` and `in_transit`, the units inside kits "
        "still held (in stock or on their way; `in_kits_in_transit` is part of it). Not a "
        "part of its own: it is already counted in those."
    )
    in_kits_in_transit: int = Field(
        description="Of `in_kits` (and of `in_transit`), the units inside kits on a transfer "
        "or convoy, dispatched and not yet received (the donation's share of those kits, "
        "rounded down); `in_kits` − `in_kits_in_transit` is the sum of `in_stock[].in_kits`.",
    )
    through_kits: ThroughKits
    items: list[TraceItem] = Field(
        default_factory=list,
        description="The same parts item by item, sorted by item (kit shares rounded down "
        "per part, then shared out by largest remainder so the items sum to the totals).",
    )


class DonorTraceWithProof(DonorTrace):
    """The trace and its proof (`?proof=1`): `events/verify_proof.py` checks it."""

    proof: dict[str, Any] = Field(
        description="`format`, `donation_id`, `trace` (this trace), `checkpoint` (a signed "
        "checkpoint, as `GET /v1/ledger/checkpoints` lists them) and `partitions`: per "
        "partition of the stock topic, every event from the donation's first there to the "
        "checkpoint's offset (`offset`, `event` as in the log). See docs/guarantees.md."
    )


class DonationRead(BaseModel):
    """A donation received, as listed."""

    donation_id: str
    donor_id: str
    location_id: str
    item_id: str
    quantity: int
    received_at: UtcDatetime
    pledge_id: str | None = None


class DonationList(BaseModel):
    items: list[DonationRead]
    next: str | None = Field(default=None, description=NEXT)


class ListOf(BaseModel):
    items: list[dict[str, Any]]
    next: str | None = Field(default=None, description=NEXT)
