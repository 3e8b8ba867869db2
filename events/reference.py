"""Reference data: where aid is kept and handed out, and what is handed out."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from events.base import Event, Identifier, PositiveQuantity

LocationKind = Literal["warehouse", "site"]
# A decimal written as text ("0.25"): exact in every reader, where a JSON number may become
# a binary float; a basket's weight summed over a million households must not drift.
DECIMAL_PATTERN = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,6})?$"
Decimal = Annotated[
    str,
    Field(
        pattern=DECIMAL_PATTERN,
        max_length=16,
        description="A non-negative decimal as text, at most 6 places: '0.25', '10'.",
    ),
]

# Degrees, WGS 84 (what a phone's GPS or a map gives), as JSON numbers: a place is shown on
# a map, never summed, so a binary float is exact enough.
Latitude = Annotated[
    float,
    Field(ge=-90, le=90, strict=True, allow_inf_nan=False, description="Degrees north, south < 0."),
]
Longitude = Annotated[
    float,
    Field(ge=-180, le=180, strict=True, allow_inf_nan=False, description="Degrees east, west < 0."),
]


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
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise PydanticCustomError(
                "coordinates_pair", "give both latitude and longitude, or neither"
            )
        return self

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class LocationCoordinatesSet(Event):
    """Where a location lies, set (or corrected) after its registration."""

    TYPE = "LocationCoordinatesSet"
    STREAM = "reference"

    location_id: Identifier
    latitude: Latitude
    longitude: Longitude

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class ItemDefined(Event):
    """An item that can be stocked and distributed, counted in its base unit; optionally
    packed `pack_size` units to a pack, weighing `weight_kg` and taking `volume_l` per unit."""

    TYPE = "ItemDefined"
    STREAM = "reference"

    item_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=32)
    pack_size: PositiveQuantity | None = None
    weight_kg: Decimal | None = None
    volume_l: Decimal | None = None

    @property
    def aggregate_id(self) -> str:
        return self.item_id
