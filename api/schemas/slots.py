"""Appointments: a site's slot plan in a campaign, its changes, and its figures."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from api.schemas.common import Body, ClientId

HOUR = Field(ge=0, le=23, strict=True, description="A whole hour of the site's local time.")


class SlotPlanPut(Body):
    """The distribution days, the opening hours and the site's safe capacity."""

    days: list[date] = Field(min_length=1, max_length=366)
    opens_at: int = HOUR
    closes_at: int = Field(ge=1, le=24, strict=True, description="The hour the site closes.")
    per_hour: int = Field(
        ge=1, le=10_000, strict=True, description="Households the site serves safely an hour."
    )

    @field_validator("closes_at")
    @classmethod
    def _closes_after_opening(cls, closes_at: int, info: ValidationInfo) -> int:
        opens_at = info.data.get("opens_at")
        if opens_at is not None and closes_at <= opens_at:
            raise ValueError("the site must close after it opens: closes_at later than opens_at")
        return closes_at


class SlotMove(Body):
    household_id: ClientId
    day: date
    hour: int = HOUR


class DayClosing(Body):
    day: date
    reason: str = Field(min_length=1, max_length=100)


class DayAdding(Body):
    day: date


class SlotFigures(BaseModel):
    """One hour of the site: the households holding it (`expected`), those of them served
    in it, those served then holding another slot or none (`out_of_slot`), and everybody
    served in that hour against the safe capacity."""

    day: date
    hour: int
    planned: bool
    capacity: int
    expected: int
    served: int
    out_of_slot: int
    served_in_hour: int
    over_capacity: bool


class SlotPlanPublic(BaseModel):
    campaign_id: str
    site_id: str
    days: list[date]
    closed_days: list[date]
    opens_at: int
    closes_at: int
    per_hour: int
    expected: int
    served: int
    out_of_slot: int
    peak_served_per_hour: int
    over_capacity: bool = Field(description="Some hour served more households than is safe.")
    slots: list[SlotFigures]


class HouseholdSlot(BaseModel):
    campaign_id: str
    site_id: str
    day: date
    hour: int


class HouseholdSlots(BaseModel):
    household_id: str
    items: list[HouseholdSlot]
