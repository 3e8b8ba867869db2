"""Stock movements, inventory, stock cards and transfers."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from api.schemas.common import NEXT, Body, ClientId, Quantity, Timestamp, UtcDatetime, Written

LotCode = str


class ReceiptCreate(Body):
    id: ClientId | None = Field(default=None, description="Defaults to Idempotency-Key.")
    location_id: ClientId
    item_id: ClientId
    packs: Quantity | None = Field(
        default=None, description="Whole packs of the item's pack size, kept in base units."
    )
    quantity: Quantity | None = Field(
        default=None, description="In base units; or give `packs`.", validate_default=True
    )
    lot: LotCode | None = Field(default=None, min_length=1, max_length=64)
    expires_on: date | None = None
    donation_id: ClientId | None = None
    occurred_at: Timestamp | None = None

    @field_validator("quantity")
    @classmethod
    def _units_or_packs(cls, value: int | None, info: ValidationInfo) -> int | None:
        if (value is None) == (info.data.get("packs") is None):
            raise ValueError("give either quantity (in base units) or packs")
        return value


class ReceiptInUnits(ReceiptCreate):
    """A receipt counted in base units (the operator's form)."""

    quantity: Quantity


class ReceiptPublic(Written):
    id: str
    location_id: str
    item_id: str
    quantity: int
    lot: str
    event_id: str


class TransferLineCreate(Body):
    item_id: ClientId
    quantity: Quantity
    lot: LotCode | None = Field(default=None, min_length=1, max_length=64)


class TransferCreate(Body):
    id: ClientId | None = None
    from_location_id: ClientId
    to_location_id: ClientId
    lines: list[TransferLineCreate] = Field(min_length=1, max_length=200)
    allow_expired: bool = Field(default=False, description="Ship lots past their expiry.")

    @field_validator("to_location_id")
    @classmethod
    def _different_ends(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("from_location_id"):
            raise ValueError("a transfer must go to another location than it leaves")
        return value


class ReceivedLine(Body):
    item_id: ClientId
    quantity: int = Field(ge=0, lt=10**9, strict=True)


class TransferReceiptCreate(Body):
    lines: list[ReceivedLine] = Field(min_length=1, max_length=200)


class AdjustmentCreate(Body):
    id: ClientId | None = None
    location_id: ClientId
    item_id: ClientId
    lot: LotCode | None = Field(default=None, min_length=1, max_length=64)
    quantity: Quantity
    reason: Literal["damaged", "expired", "lost", "stolen", "found"]


class CountCreate(Body):
    id: ClientId | None = None
    location_id: ClientId
    item_id: ClientId
    lot: LotCode | None = Field(default=None, min_length=1, max_length=64)
    counted_quantity: int = Field(ge=0, lt=10**9, strict=True)


class Voiding(Body):
    reason: str = Field(min_length=1, max_length=100, description="Why the entry was wrong.")


class SentBackLineCreate(Body):
    item_id: ClientId
    lot: LotCode = Field(min_length=1, max_length=64)
    quantity: Quantity


class TransferReturnCreate(Body):
    id: ClientId = Field(description="The id of the transfer that carries the stock back.")
    lines: list[SentBackLineCreate] | None = Field(
        default=None, min_length=1, max_length=200, description="Omitted: all that arrived."
    )
    reason: str = Field(min_length=1, max_length=100, description="Why it goes back.")


class VoidCreate(Voiding):
    location_id: ClientId | None = Field(
        default=None, description="Needed only when the id was used at several locations."
    )


class ThresholdSet(Body):
    location_id: ClientId
    item_id: ClientId
    minimum: int = Field(ge=0, lt=10**9, strict=True)


class Decision(Written):
    """An accepted command: its id and the events it recorded."""

    id: str
    events: list[dict[str, Any]]


class InventoryRow(BaseModel):
    location_id: str
    item_id: str
    lot: str
    expires_on: date | None
    on_hand: int


class InventoryList(BaseModel):
    items: list[InventoryRow]
    next: str | None = Field(default=None, description=NEXT)


class CardLine(BaseModel):
    event_id: str
    kind: str
    lot: str
    quantity: int
    balance: int
    reference_id: str
    reason: str | None
    occurred_at: UtcDatetime
    actor: str
    voided: bool = False


class StockCard(BaseModel):
    location_id: str
    item_id: str
    items: list[CardLine]
    next: str | None = Field(
        default=None, description="The cursor of the next page; null on the last one."
    )


class TransferLinePublic(BaseModel):
    item_id: str
    lot: str
    expires_on: date | None
    dispatched: int
    received: int
    missing: int
    returned: int = 0


class TransferPublic(BaseModel):
    id: str
    from_location_id: str
    to_location_id: str
    deployment_id: str | None
    requisition_id: str | None = Field(
        default=None, description="The requisition whose approved lines it carries, if any."
    )
    status: str
    dispatched_at: UtcDatetime | None  # None while the receipt is projected ahead of it
    received_at: UtcDatetime | None
    lines: list[TransferLinePublic]


class TransferList(BaseModel):
    items: list[TransferPublic]
    next: str | None = Field(default=None, description=NEXT)


class MonthsOfStock(BaseModel):
    location_id: str
    item_id: str
    on_hand: int
    used: int = Field(description="Units handed out or dispatched (less voids and returns).")
    window_days: int
    monthly_use: float = Field(description="Units used per 30 days at the window's pace.")
    months: float | None = Field(description="On hand ÷ monthly use; null when none was used.")
    below: bool = Field(description="Lasts less than `alert_below` months.")


class MonthsOfStockList(BaseModel):
    items: list[MonthsOfStock]
    next: str | None = Field(default=None, description=NEXT)


class Alert(BaseModel):
    kind: str
    location_id: str
    item_id: str
    message: str
    details: dict[str, Any]


class AlertList(BaseModel):
    items: list[Alert]
    next: str | None = Field(default=None, description=NEXT)
