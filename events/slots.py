"""Appointments at a distribution site: per campaign, the days, opening hours and safe number
of households an hour (the slot plan), and which slot (day and hour) each household holds.

Every event of a site lives on the site's partition of the `slots` stream, decided by the
site's single writer, so plans, offers and assignments of one site are in one order. Hours
are whole hours of the site's local time: `hour` 9 is the slot from 09:00 to 10:00."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.base import Event, Identifier
from events.households import Group

Hour = Field(ge=0, le=23)
# how many households a site serves safely in an hour
HouseholdsPerHour = Field(ge=1, le=10_000)
SlotMoveReason = Literal["moved", "day_closed"]


class ExpectedHousehold(BaseModel):
    """A household expected at the site, with the anonymous profile a campaign's rules read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    household_id: Identifier
    region_code: str = Field(min_length=1, max_length=32)
    groups: list[Group] = Field(default_factory=list)
    precarity_score: float | None = Field(default=None, ge=0, le=100)


class SlotPlanSet(Event):
    """A coordinator's plan for a campaign at a site: its distribution days, its hours
    (`opens_at` to `closes_at`, the last slot starting at `closes_at` - 1) and how many
    households an hour it serves safely; and the campaign's rules of who is eligible, as
    they stood, so the site's writer can tell whom to give a slot."""

    TYPE = "SlotPlanSet"
    STREAM = "slots"

    campaign_id: Identifier
    site_id: Identifier
    days: list[date] = Field(min_length=1, max_length=366)
    opens_at: int = Hour
    closes_at: int = Field(ge=1, le=24)
    per_hour: int = HouseholdsPerHour
    region_codes: list[str] = Field(default_factory=list, max_length=100)
    groups: list[Group] = Field(default_factory=list)
    max_precarity_score: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _opens_before_closing(self) -> SlotPlanSet:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self

    @property
    def aggregate_id(self) -> str:
        return self.site_id


class HouseholdsExpected(Event):
    """Households the site now expects (newly, or with a new profile), whether or not a
    campaign has a plan there yet: a plan set later gives them slots."""

    TYPE = "HouseholdsExpected"
    STREAM = "slots"

    site_id: Identifier
    households: list[ExpectedHousehold] = Field(min_length=1, max_length=1_000)

    @property
    def aggregate_id(self) -> str:
        return self.site_id


class SlotAssigned(Event):
    """A household's appointment in a campaign at a site: `day`, from `hour` to the next."""

    TYPE = "SlotAssigned"
    STREAM = "slots"

    campaign_id: Identifier
    site_id: Identifier
    household_id: Identifier
    day: date
    hour: int = Hour

    @property
    def aggregate_id(self) -> str:
        return self.site_id


class SlotMoved(Event):
    """A household's appointment moved to another slot: on request (`moved`), or because its
    day was closed (`day_closed`)."""

    TYPE = "SlotMoved"
    STREAM = "slots"

    campaign_id: Identifier
    site_id: Identifier
    household_id: Identifier
    from_day: date
    from_hour: int = Hour
    day: date
    hour: int = Hour
    reason: SlotMoveReason

    @property
    def aggregate_id(self) -> str:
        return self.site_id


class SiteDayClosed(Event):
    """The site does not distribute on `day` in the campaign; its appointments are moved to
    the next free slots of the following days (one `SlotMoved` each, after this)."""

    TYPE = "SiteDayClosed"
    STREAM = "slots"

    campaign_id: Identifier
    site_id: Identifier
    day: date
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.site_id


class SlotDayAdded(Event):
    """One more distribution day in the campaign at the site, with the plan's hours."""

    TYPE = "SlotDayAdded"
    STREAM = "slots"

    campaign_id: Identifier
    site_id: Identifier
    day: date

    @property
    def aggregate_id(self) -> str:
        return self.site_id


class HouseholdsWithdrawn(Event):
    """Households the site no longer expects: their profile moved them to another site (or
    to none). A plan set later leaves them out."""

    TYPE = "HouseholdsWithdrawn"
    STREAM = "slots"

    site_id: Identifier
    household_ids: list[Identifier] = Field(min_length=1, max_length=1_000)

    @property
    def aggregate_id(self) -> str:
        return self.site_id


SlotReleaseReason = Literal["left_site", "not_admitted"]


class SlotReleased(Event):
    """A household's appointment given up, its place free again: it moved to another site
    (`left_site`), or its new profile is no longer one the campaign admits
    (`not_admitted`)."""

    TYPE = "SlotReleased"
    STREAM = "slots"

    campaign_id: Identifier
    site_id: Identifier
    household_id: Identifier
    day: date
    hour: int = Hour
    reason: SlotReleaseReason

    @property
    def aggregate_id(self) -> str:
        return self.site_id
