"""Stock movements, keyed by the location whose stock they change."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from events.base import Event, Identifier, PositiveQuantity


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
