"""A campaign's needs, in numbers only."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NeedCounts(BaseModel):
    due: int = Field(description="Units the households expected and not served yet are due.")
    on_hand: int = Field(description="Units of the campaign's item held there.")
    in_transit: int = Field(description="Units of the item dispatched there, not received yet.")
    short: int = Field(description="Due less held less in transit, per site; never below 0.")


class SiteNeed(NeedCounts):
    site_id: str
    region_code: str
    province_code: str | None


class ProvinceNeed(NeedCounts):
    region_code: str
    province_code: str | None


class RegionNeed(NeedCounts):
    region_code: str


class ComponentNeed(BaseModel):
    item_id: str
    needed: int = Field(description="Units to assemble the kits short beyond those held.")
    on_hand: int = Field(description="Units of the component at the supplying warehouse.")
    short: int


class Needs(BaseModel):
    campaign_id: str
    item_id: str
    kit: bool = Field(description="The item is a kit: quantities are in kits.")
    sites: list[SiteNeed]
    provinces: list[ProvinceNeed] = Field(description="Sites summed; a surplus covers no other.")
    regions: list[RegionNeed]
    total: NeedCounts
    supplying_location_id: str | None
    components: list[ComponentNeed] | None = Field(
        default=None, description="For a kit and a supplying warehouse: what it lacks to assemble."
    )
