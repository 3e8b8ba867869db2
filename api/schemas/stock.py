"""Stock receipts and inventory."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from api.schemas.common import Body, ClientId, Quantity, Timestamp, Written


class ReceiptCreate(Body):
    id: ClientId | None = Field(default=None, description="Defaults to Idempotency-Key.")
    location_id: ClientId
    item_id: ClientId
    quantity: Quantity
    lot: str | None = Field(default=None, min_length=1, max_length=64)
    expires_on: date | None = None
    donation_id: ClientId | None = None
    occurred_at: Timestamp | None = None


class ReceiptPublic(Written):
    id: str
    location_id: str
    item_id: str
    quantity: int
    lot: str
    event_id: str


class InventoryRow(BaseModel):
    location_id: str
    item_id: str
    lot: str
    expires_on: date | None
    on_hand: int


class InventoryList(BaseModel):
    items: list[InventoryRow]
