"""Who a campaign is for, in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from events.base import Identifier, PositiveQuantity
from events.households import LargerHouseholds
from services.domain.commands import unsaid


class AreaChange(BaseModel):
    """From `effective_on` the campaign covers `region_codes`; before, `previous_region_codes`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    effective_on: date
    region_codes: list[str]
    previous_region_codes: list[str]


class CampaignTerms(BaseModel):
    """What a campaign gives and to whom: the facts of its `CampaignOpened` a decision
    needs. Anything else a campaign says (its name, its operation) is ignored, so the
    event itself, or its row in the registry, reads as its terms."""

    model_config = ConfigDict(frozen=True, extra="ignore", from_attributes=True)

    campaign_id: Identifier
    item_id: Identifier
    quantity_per_household: PositiveQuantity
    starts_on: date
    ends_on: date
    region_codes: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    max_precarity_score: float | None = None
    # An open campaign whose areas never changed, with one quantity for every household,
    # serializes as it did before campaigns could close, change or give larger households
    # more, so a record retried across that change is still the same request (same digest).
    closed_on: date | None = Field(default=None, exclude_if=unsaid)
    area_changes: list[AreaChange] = Field(  # in the order they came
        default_factory=list, exclude_if=unsaid
    )
    larger_households: LargerHouseholds | None = Field(default=None, exclude_if=unsaid)

    @field_validator("area_changes", mode="before")
    @classmethod
    def _none_as_no_change(cls, value: Any) -> Any:
        return [] if value is None else value  # a campaign row never changed holds NULL

    def regions_on(self, day: date) -> list[str]:
        """The regions it covered on that day: the areas of the changes made after it undone."""
        regions = self.region_codes
        for change in reversed(self.area_changes):
            if day < change.effective_on:
                regions = change.previous_region_codes
        return regions

    @property
    def last_day(self) -> date:
        """Its end, or the day it closed if it closed early."""
        return min(self.ends_on, self.closed_on) if self.closed_on else self.ends_on


@dataclass(frozen=True)
class Profile:
    """What eligibility looks at: anonymous facts about a household."""

    region_code: str
    province_code: str | None
    groups: tuple[str, ...]
    precarity_score: float | None
    size: int | None = None  # what the household is due may depend on it (`entitlement`)


def eligibility(
    profile: Profile, campaign: CampaignTerms, on: date | None = None
) -> tuple[bool, str]:
    """Eligible or not, and why, in words an agent can say to a family: by the campaign's
    areas on that day, or its current ones."""
    covered = campaign.region_codes if on is None else campaign.regions_on(on)
    if covered and profile.region_code not in covered:
        regions = ", ".join(covered)
        return False, f"the campaign covers regions {regions}, not {profile.region_code}"
    if campaign.groups and not set(campaign.groups) & set(profile.groups):
        groups = ", ".join(campaign.groups)
        return False, f"the campaign is for households with {groups}"
    limit = campaign.max_precarity_score
    if limit is not None and (profile.precarity_score is None or profile.precarity_score > limit):
        return False, f"the campaign is for a precarity score of at most {limit}"
    return True, "eligible"


def within_dates(campaign: CampaignTerms, day: date) -> bool:
    return campaign.starts_on <= day <= campaign.last_day


def entitlement(campaign: CampaignTerms, household_size: int | None) -> int:
    """What a household of that many members is due in the campaign: the larger households'
    quantity from their size on, the quantity per household otherwise (and when its size is
    not known)."""
    larger = campaign.larger_households
    if larger is not None and household_size is not None and household_size >= larger.min_size:
        return larger.quantity
    return campaign.quantity_per_household


def entitlement_left(
    profile: Profile, campaign: CampaignTerms, received: int
) -> tuple[bool, str, int]:
    """Eligibility once what the household already received is counted, and what remains."""
    eligible, reason = eligibility(profile, campaign)
    remaining = max(entitlement(campaign, profile.size) - received, 0)
    if eligible and remaining == 0:
        return False, "already received the full entitlement of this campaign", 0
    return eligible, reason, remaining
