"""Households, campaigns, eligibility, distributions and coverage."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from api.schemas.common import NEXT, Body, ClientId, Quantity, Timestamp, UtcDatetime, Written

Group = Literal["children", "women", "elderly", "disability"]
CIN = Field(
    default=None,
    pattern=r"^[A-Za-z]{1,2}[0-9]{1,8}$",
    description="Moroccan CIN: one or two letters then digits, e.g. BE123456.",
)
REGISTRY = Field(default=None, pattern=r"^[A-Za-z0-9-]{4,32}$", description="Social registry no.")
NAME = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
PHONE = Field(default=None, pattern=r"^\+?[0-9 ]{6,20}$")
# free text, sealed with the personal fields (never in clear): line breaks allowed
NOTE = Field(
    default=None, max_length=2000, pattern=r"^[^\x00-\x09\x0b\x0c\x0e-\x1f\x7f]*$",
    description="Free text, sealed with the personal data.",
)  # fmt: skip
SIZE = Field(
    default=None, ge=1, le=100, strict=True,
    description="How many people; with `members`, their number (left out: counted from them).",
)  # fmt: skip


class Member(Body):
    """One member of the household, never named: sealed with the personal data, and counted
    (by sex, age band and disability) in plain numbers."""

    sex: Literal["f", "m"]
    year_of_birth: int = Field(ge=1900, le=2100, strict=True)
    relation: Literal["head", "spouse", "child", "parent", "other"]
    disability: Literal["none", "moderate", "severe"] = "none"


MEMBERS = Field(default=None, min_length=1, max_length=100)


class Profile(Body):
    """A household's anonymous profile, as registered or assessed again."""

    size: int | None = SIZE
    region_code: str = Field(min_length=1, max_length=32)
    province_code: str | None = Field(default=None, max_length=32)
    groups: list[Group] = Field(default_factory=list)
    precarity_score: float | None = Field(default=None, ge=0, le=100)
    site_id: ClientId | None = Field(
        default=None, description="The distribution site where the household is expected."
    )
    members: list[Member] | None = MEMBERS
    housing_notes: str | None = NOTE
    income_notes: str | None = NOTE

    @model_validator(mode="after")
    def _sized(self) -> Profile:
        if self.members is None and self.size is None:
            raise ValueError("give size, or members to count it from")
        if self.members is not None:
            if self.size is not None and self.size != len(self.members):
                raise ValueError("size must equal the number of members (or be left out)")
            if sum(m.relation == "head" for m in self.members) > 1:
                raise ValueError("members: at most one head of household")
        return self


class HouseholdCreate(Profile):
    id: ClientId | None = None
    national_id: str | None = CIN
    registry_number: str | None = REGISTRY
    head_name: str = NAME
    phone: str | None = PHONE

    @model_validator(mode="after")
    def _identified(self) -> HouseholdCreate:
        if not (self.national_id or self.registry_number):
            raise ValueError("give national_id or registry_number (or both)")
        return self


class Lookup(Body):
    national_id: str | None = CIN
    registry_number: str | None = REGISTRY

    @model_validator(mode="after")
    def _one(self) -> Lookup:
        if not (self.national_id or self.registry_number):
            raise ValueError("give national_id or registry_number")
        return self


class ProfileChange(Profile):
    """The household's new profile, whole (what is left out is no longer known), and the
    personal fields to seal again (those left out stand; identifiers cannot change here)."""

    head_name: str | None = Field(default=None, min_length=1, max_length=200,
                                  pattern=r"^[^\x00-\x1f\x7f]+$")  # fmt: skip
    phone: str | None = PHONE


class PersonalFields(BaseModel):
    head_name: str | None = None
    national_id: str | None = None
    registry_number: str | None = None
    phone: str | None = None
    members: list[Member] | None = None
    housing_notes: str | None = None
    income_notes: str | None = None


class MemberCounts(BaseModel):
    """Members by sex and age band (age reached in the year of `counted_on`) and those with
    a disability: plain numbers, shown to whoever sees the household."""

    counted_on: date
    females_0_4: int
    females_5_17: int
    females_18_59: int
    females_60_plus: int
    males_0_4: int
    males_5_17: int
    males_18_59: int
    males_60_plus: int
    disabled_members: int
    severely_disabled_members: int


class HouseholdPublic(Written):
    id: str
    size: int
    region_code: str
    province_code: str | None
    groups: list[str]
    precarity_score: float | None
    site_id: str | None = None
    members: MemberCounts | None = Field(
        default=None, description="Member counts; null when no members were recorded."
    )
    erased: bool = False
    personal: PersonalFields | None = None


class CardPublic(Written):
    """A household's card: what its QR code encodes (`code`), and nothing about its people."""

    household_id: str
    card_number: int = Field(description="1 for the first card; each replacement adds one.")
    check: str = Field(description="The card's check value, printed and in the code.")
    code: str = Field(description="The QR code's text: AID1:<household>:<number>:<check>.")
    issued_at: UtcDatetime


class LargerHouseholds(Body):
    """Households of at least `min_size` members receive `quantity` instead."""

    min_size: int = Field(
        ge=2, le=100, strict=True, description="From how many members a household is larger."
    )
    quantity: Quantity = Field(
        description="What a larger household is entitled to: more than quantity_per_household."
    )


class CampaignCreate(Body):
    id: ClientId
    name: str = Field(min_length=1, max_length=200)
    item_id: ClientId
    quantity_per_household: Quantity
    starts_on: date
    ends_on: date
    region_codes: list[str] = Field(default_factory=list, max_length=100)
    groups: list[Group] = Field(default_factory=list)
    max_precarity_score: float | None = Field(default=None, ge=0, le=100)
    operation_id: ClientId | None = None
    larger_households: LargerHouseholds | None = Field(
        default=None,
        description="Optional: households of at least `min_size` members are entitled to "
        "`quantity` instead of quantity_per_household.",
    )

    @field_validator("larger_households", mode="after")
    @classmethod
    def _larger_gives_more(
        cls, larger: LargerHouseholds | None, info: ValidationInfo
    ) -> LargerHouseholds | None:
        base = info.data.get("quantity_per_household")
        if larger is not None and base is not None and larger.quantity <= base:
            raise PydanticCustomError(
                "larger_quantity",
                "its quantity must be more than quantity_per_household ({base})",
                {"base": base},
            )
        return larger

    @field_validator("ends_on", mode="after")
    @classmethod
    def _not_before_start(cls, ends_on: date, info: ValidationInfo) -> date:
        """Named on ends_on, in words alone (a ValueError's would start "Value error, ")."""
        starts_on = info.data.get("starts_on")
        if starts_on is not None and ends_on < starts_on:
            raise PydanticCustomError(
                "dates_reversed", "ends_on must not be before starts_on: give a later end"
            )
        return ends_on


class AreaChangePublic(BaseModel):
    effective_on: date
    region_codes: list[str]
    previous_region_codes: list[str]


class LargerHouseholdsPublic(BaseModel):
    min_size: int
    quantity: int


class CampaignPublic(Written):
    id: str
    name: str
    item_id: str
    quantity_per_household: int
    larger_households: LargerHouseholdsPublic | None = Field(
        default=None,
        description="Households of at least `min_size` members are entitled to `quantity` "
        "instead; null: every household to quantity_per_household.",
    )
    starts_on: date
    ends_on: date
    region_codes: list[str]
    groups: list[str]
    max_precarity_score: float | None
    operation_id: str | None = None
    closed_on: date | None = None
    area_changes: list[AreaChangePublic] = Field(
        default_factory=list, description="Each change of its areas, in order."
    )

    @field_validator("area_changes", mode="before")
    @classmethod
    def _none_as_no_change(cls, value: object) -> object:
        return [] if value is None else value


class CampaignExtension(Body):
    ends_on: date
    reason: str = Field(min_length=1, max_length=100)


class CampaignClosing(Body):
    reason: str = Field(min_length=1, max_length=100)


class CampaignAreas(Body):
    region_codes: list[str] = Field(
        max_length=100, description="The regions covered from today (none: every region)."
    )
    reason: str = Field(min_length=1, max_length=100)


class CampaignList(BaseModel):
    items: list[CampaignPublic]
    next: str | None = Field(default=None, description=NEXT)


class DistributionCreate(Body):
    id: ClientId
    campaign_id: ClientId
    household_id: ClientId | None = None
    national_id: str | None = CIN
    card: str | None = Field(
        default=None, min_length=1, max_length=128,
        description="The text of the household card's QR code, instead of an identifier.",
    )  # fmt: skip
    site_id: ClientId
    quantity: Quantity
    occurred_at: Timestamp | None = None

    @field_validator("national_id", "card", mode="after")
    @classmethod
    def _one_way(cls, given: str | None, info: ValidationInfo) -> str | None:
        """One way of naming the household: a second one is refused on itself, naming the
        fields sent (`info.data` holds the fields before it)."""
        earlier = [f for f in ("household_id", "national_id") if info.data.get(f)]
        if given and earlier:
            sent = " and ".join([*earlier, str(info.field_name)])
            raise ValueError(f"{sent} both name the household: send only one of them")
        return given

    @model_validator(mode="after")
    def _some_way(self) -> DistributionCreate:
        if not (self.household_id or self.national_id or self.card):
            raise ValueError("name the household: give household_id, national_id or card")
        return self


class DistributionBatch(Body):
    records: list[dict[str, Any]] = Field(min_length=1, max_length=10_000)


class RecordResult(BaseModel):
    id: str | None
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None
    position: str | None = Field(
        default=None,
        description="Where an accepted or duplicate record was written (the same when the "
        "record is synced again): pass it as ?after= to a read to see it. Records of "
        "other households may lie on other partitions, each with its own position. Null "
        "for a rejected record.",
    )


class BatchResults(BaseModel):
    results: list[RecordResult]


class ReceivedAid(BaseModel):
    distribution_id: str
    site_id: str
    quantity: int
    occurred_at: UtcDatetime
    status: str


class Eligibility(BaseModel):
    household_id: str
    campaign_id: str
    eligible: bool
    reason: str
    entitlement: int = Field(
        description="What this household is entitled to in the campaign: its "
        "larger_households quantity when it has at least min_size members."
    )
    remaining: int
    received: list[ReceivedAid]


class AreaCoverage(BaseModel):
    region_code: str
    province_code: str | None
    eligible_households: int
    entitled_quantity: int = Field(
        description="What its eligible households are entitled to in all: each the "
        "campaign's quantity_per_household, or its larger_households quantity when it has at "
        "least min_size members (as counted by the registry; `quantity` is what was handed)."
    )
    reached_households: int
    quantity: int


class GroupCoverage(BaseModel):
    """A target group over all the campaign's areas: a household counts in each of its
    groups, with its members as people (its groups and size as they stand now)."""

    target_group: str
    eligible_households: int
    eligible_people: int
    reached_households: int
    reached_people: int


class Coverage(BaseModel):
    campaign_id: str
    eligible_households: int
    entitled_quantity: int = Field(
        description="What its eligible households are entitled to in all: each the "
        "campaign's quantity_per_household, or its larger_households quantity when it has at "
        "least min_size members (as counted by the registry; `quantity` is what was handed)."
    )
    reached_households: int
    quantity: int
    by_area: list[AreaCoverage]
    by_group: list[GroupCoverage] = Field(
        description="Per target group (children, women, elderly, disability), over all areas."
    )


class FlaggedDuplicate(ReceivedAid):
    """A late record kept for a coordinator: `status` is `duplicate` while it waits, then
    `voided_duplicate` or `exception` (and `voided` when an exception was voided since)."""

    campaign_id: str
    item_id: str
    flag: Literal["beyond_entitlement", "campaign_closed", "outside_campaign"] = Field(
        default="beyond_entitlement",
        description="Why it was flagged: beyond the household's entitlement, or handed after "
        "the campaign closed or outside its dates.",
    )
    first_distribution_id: str | None = None
    first_site_id: str | None = Field(
        default=None, description="Where the household was first served."
    )
    first_occurred_at: UtcDatetime | None = None


class DuplicateList(BaseModel):
    items: list[FlaggedDuplicate]
    next: str | None = Field(default=None, description=NEXT)


class DuplicateResolution(Body):
    resolution: Literal["void", "accept"] = Field(
        description="`void`: a second record of one basket, nothing moves; `accept`: a second "
        "basket really handed, an exception that counts and takes the site's stock."
    )
    reason: str = Field(min_length=1, max_length=100, description="Why, in a few words.")


class SiteHousehold(BaseModel):
    """A household a site expects in a campaign: by id, never by name."""

    household_id: str
    size: int
    province_code: str | None
    status: Literal["waiting", "served", "flagged"] = Field(
        description="waiting: no basket yet; served: a basket counted; flagged: a record of "
        "theirs waits for a coordinator (a second basket, or one outside the campaign's rules)."
    )
    served_at: UtcDatetime | None = Field(description="When its first counted basket was handed.")
    served_site_id: str | None = Field(description="Where it was handed (maybe another site).")


class SiteHouseholdList(BaseModel):
    campaign_id: str
    site_id: str
    items: list[SiteHousehold]
    next: str | None = Field(default=None, description=NEXT)


class OfflineHousehold(BaseModel):
    """What a device keeps of a household to check its card offline: no name, no identifier."""

    household_id: str
    card: str | None = Field(
        description="First 32 hex characters of the SHA-256 of the current card's code (as its "
        "QR code carries it); null when the household has no card."
    )
    remaining: int = Field(description="What the household is still due in the campaign.")
    served: bool = Field(description="A basket of the campaign was handed to it already.")


class OfflineList(BaseModel):
    campaign_id: str
    site_id: str
    quantity_per_household: int
    items: list[OfflineHousehold]
    next: str | None = Field(default=None, description=NEXT)


class SiteCount(BaseModel):
    site_id: str
    name: str
    region_code: str
    province_code: str | None
    expected: int = Field(description="Households assigned to the site that the campaign admits.")
    waiting: int
    served: int
    flagged: int


class SiteCountList(BaseModel):
    campaign_id: str
    items: list[SiteCount]
    next: str | None = Field(default=None, description=NEXT)
