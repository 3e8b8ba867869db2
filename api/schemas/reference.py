"""Locations and items."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from api.schemas.common import NEXT, Body, ClientId, Quantity, Written
from events.reference import DECIMAL_PATTERN, Latitude, Longitude


class Coordinates(Body):
    latitude: Latitude = Field(examples=[33.5731])
    longitude: Longitude = Field(examples=[-7.5898])


class LocationCreate(Body):
    id: ClientId
    name: str = Field(min_length=1, max_length=200, examples=["Entrepôt Casablanca"])
    kind: Literal["warehouse", "site"]
    region_code: str = Field(min_length=1, max_length=32, examples=["MA06"])
    region_name: str = Field(min_length=1, max_length=200, examples=["Casablanca-Settat"])
    province_code: str | None = Field(default=None, max_length=32)
    province_name: str | None = Field(default=None, max_length=200)
    latitude: Latitude | None = Field(default=None, examples=[33.5731])
    longitude: Longitude | None = Field(default=None, examples=[-7.5898])

    @model_validator(mode="after")
    def _both_or_neither(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise PydanticCustomError(
                "coordinates_pair", "give both latitude and longitude, or neither"
            )
        return self


class LocationPublic(Written):
    id: str
    name: str
    kind: str
    region_code: str
    region_name: str
    province_code: str | None
    province_name: str | None
    latitude: float | None = None
    longitude: float | None = None


class ItemCreate(Body):
    id: ClientId
    name: str = Field(min_length=1, max_length=200, examples=["Panier alimentaire Ramadan"])
    unit: str = Field(min_length=1, max_length=32, examples=["basket"])
    pack_size: Quantity | None = Field(default=None, description="Base units per pack.")
    weight_kg: str | None = Field(
        default=None, pattern=DECIMAL_PATTERN, examples=["1.0"],
        description="Weight of one base unit in kg, a decimal as text (exact): '0.25'.",
    )  # fmt: skip
    volume_l: str | None = Field(
        default=None, pattern=DECIMAL_PATTERN, examples=["1.5"],
        description="Volume of one base unit in litres, a decimal as text.",
    )  # fmt: skip


class ItemPublic(Written):
    id: str
    name: str
    unit: str
    pack_size: int | None = None
    weight_kg: str | None = None
    volume_l: str | None = None


class LocationList(BaseModel):
    items: list[LocationPublic]
    next: str | None = Field(default=None, description=NEXT)


class ItemList(BaseModel):
    items: list[ItemPublic]
    next: str | None = Field(default=None, description=NEXT)
