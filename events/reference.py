"""Reference data: where aid is kept and handed out, and what is handed out."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from events.base import Event, Identifier

LocationKind = Literal["warehouse", "site"]


class LocationRegistered(Event):
    """A warehouse or distribution site was registered in an admin area."""

    TYPE = "LocationRegistered"
    VERSION = 2
    STREAM = "reference"

    location_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    kind: LocationKind
    region_code: str = Field(min_length=1, max_length=32)
    region_name: str = Field(min_length=1, max_length=200)
    province_code: str | None = Field(default=None, max_length=32)
    province_name: str | None = Field(default=None, max_length=200)

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class ItemDefined(Event):
    """An item that can be stocked and distributed, counted in its unit."""

    TYPE = "ItemDefined"
    STREAM = "reference"

    item_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=32)

    @property
    def aggregate_id(self) -> str:
        return self.item_id
