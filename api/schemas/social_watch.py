"""The social watch as the API shows it: counts only, and none under `smallest_shown`."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

Hidden = Field(description="null where the count is between 1 and smallest_shown - 1")


class GroupCounts(BaseModel):
    target_group: Literal["all", "children", "women", "elderly", "disability"]
    households: int | None = Hidden
    people: int | None = Hidden
    eligible_households: int | None = Field(
        description="Eligible for the campaign asked for (0 without one); null when small"
    )
    reached_households: int | None = Hidden


class PrecarityBand(BaseModel):
    band: int | None = Field(description="The score's tens (0–90); null: no score given")
    households: int | None = Hidden


class MonthCounts(BaseModel):
    month: date
    registered: int | None = Hidden
    mean_precarity_score: float | None = Field(
        description="Mean score of the month's assessments (registrations and updates); "
        "null when fewer than smallest_shown were scored"
    )


class AreaWatch(BaseModel):
    region_code: str
    province_code: str | None
    groups: list[GroupCounts]
    precarity: list[PrecarityBand]
    months: list[MonthCounts]
    rising: list[Literal["registrations", "precarity"]] = Field(
        description="What rose in the last month against the three before"
    )


class SocialWatch(BaseModel):
    campaign_id: str | None
    smallest_shown: int
    areas: list[AreaWatch]
