"""Households and the aid they received. No identifier or name is ever in clear here:
identity is a keyed pseudonym, personal fields are sealed with the household's key."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from events.base import Event, Identifier, PositiveQuantity

Group = Literal["children", "women", "elderly", "disability"]
# Why a household's personal data was erased: a choice, never free text, as the event outlives
# the data it erased.
ErasureReason = Literal["person_asked", "registered_by_mistake", "retention_ended"]
LateWhy = Literal["campaign_closed", "outside_campaign"]
Pseudonym = str
# a household's anonymous profile: what eligibility and reports read, never sealed
# (`site_id`: the distribution site where the household is expected; None: none assigned)
PROFILE = ("size", "region_code", "province_code", "groups", "precarity_score", "site_id")
Count = Field(default=0, ge=0, le=100)


class MemberCounts(BaseModel):
    """A household's members as plain numbers, so reports never decrypt anything: by sex and
    age band (the age reached in the year of `counted_on`, from the year of birth), and those
    living with a disability (moderate or severe), of whom severely. No member is named."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    counted_on: date
    females_0_4: int = Count
    females_5_17: int = Count
    females_18_59: int = Count
    females_60_plus: int = Count
    males_0_4: int = Count
    males_5_17: int = Count
    males_18_59: int = Count
    males_60_plus: int = Count
    disabled_members: int = Count
    severely_disabled_members: int = Count

    @property
    def members(self) -> int:
        """How many members were counted."""
        bands = (f for f in type(self).model_fields if f.startswith(("females_", "males_")))
        return sum(getattr(self, band) for band in bands)

    def same_counts(self, other: MemberCounts | None) -> bool:
        """The same numbers, whatever day each was counted on."""
        return other is not None and self.model_dump(exclude={"counted_on"}) == other.model_dump(
            exclude={"counted_on"}
        )


class HouseholdRegistered(Event):
    """A household entered the registry; `identity` is the pseudonym it is decided under."""

    TYPE = "HouseholdRegistered"
    STREAM = "households"

    household_id: Identifier
    identity: Pseudonym = Field(min_length=8, max_length=64)
    national_id_pseudonym: Pseudonym | None = None
    registry_pseudonym: Pseudonym | None = None
    size: int = Field(ge=1, le=100)
    region_code: str = Field(min_length=1, max_length=32)
    province_code: str | None = Field(default=None, max_length=32)
    groups: list[Group] = Field(default_factory=list)
    precarity_score: float | None = Field(default=None, ge=0, le=100)
    sealed_personal_data: str = Field(max_length=8192)
    # None: registered without its members (or before members were recorded)
    members: MemberCounts | None = None
    # the distribution site where it is expected (None: none assigned, or registered before)
    site_id: Identifier | None = None

    @property
    def aggregate_id(self) -> str:
        return self.identity


class HouseholdProfileUpdated(Event):
    """A household's situation as assessed again: the whole new anonymous profile, and its
    personal data sealed again when that changed too (None: the sealed data stands)."""

    TYPE = "HouseholdProfileUpdated"
    STREAM = "households"

    household_id: Identifier
    identity: Pseudonym = Field(min_length=8, max_length=64)
    size: int = Field(ge=1, le=100)
    region_code: str = Field(min_length=1, max_length=32)
    province_code: str | None = Field(default=None, max_length=32)
    groups: list[Group] = Field(default_factory=list)
    precarity_score: float | None = Field(default=None, ge=0, le=100)
    members: MemberCounts | None = None
    sealed_personal_data: str | None = Field(default=None, max_length=8192)
    site_id: Identifier | None = None  # None: no site assigned (or updated before sites were)
    # the site it was expected at before, when this update moves it (its appointments there
    # are released); None when the site stays
    previous_site_id: Identifier | None = None

    @property
    def aggregate_id(self) -> str:
        return self.identity


class PersonalDataErased(Event):
    """The household's key was destroyed: its personal data can no longer be read anywhere."""

    TYPE = "PersonalDataErased"
    STREAM = "households"

    household_id: Identifier
    identity: Pseudonym
    reason: ErasureReason | None = None  # None: erased before reasons were recorded

    @property
    def aggregate_id(self) -> str:
        return self.identity


# A card's check value: 8 characters of an alphabet with no look-alikes (no 0/O, 1/I/L)
CARD_CHECK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CARD_CHECK_PATTERN = r"^[2-9A-HJKMNP-Z]{8}$"


class HouseholdCardIssued(Event):
    """A card handed to a household: its QR code names the household, the card's number and
    its check value, nobody. It replaces the household's previous card, which stops working."""

    TYPE = "HouseholdCardIssued"
    STREAM = "households"

    household_id: Identifier
    identity: Pseudonym = Field(min_length=8, max_length=64)
    card_number: int = Field(ge=1, le=10_000)
    check: str = Field(pattern=CARD_CHECK_PATTERN)

    @property
    def aggregate_id(self) -> str:
        return self.identity


class LargerHouseholds(BaseModel):
    """A campaign's rule for larger households: those of at least `min_size` members are
    entitled to `quantity` instead of the campaign's quantity per household."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_size: int = Field(ge=2, le=100)
    quantity: PositiveQuantity


class CampaignOpened(Event):
    """A distribution campaign: what each eligible household is entitled to, when, for whom.
    Without `larger_households`, every household is entitled to `quantity_per_household`."""

    TYPE = "CampaignOpened"
    STREAM = "reference"

    campaign_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    item_id: Identifier
    quantity_per_household: PositiveQuantity
    starts_on: date
    ends_on: date
    region_codes: list[str] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    max_precarity_score: float | None = Field(default=None, ge=0, le=100)
    operation_id: Identifier | None = None
    larger_households: LargerHouseholds | None = None

    @model_validator(mode="after")
    def _larger_gives_more(self) -> CampaignOpened:
        larger = self.larger_households
        if larger is not None and larger.quantity <= self.quantity_per_household:
            raise ValueError("larger_households.quantity must exceed quantity_per_household")
        return self

    @property
    def aggregate_id(self) -> str:
        return self.campaign_id


class CampaignExtended(Event):
    """A campaign runs longer: it now ends on `ends_on`."""

    TYPE = "CampaignExtended"
    STREAM = "reference"

    campaign_id: Identifier
    ends_on: date
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.campaign_id


class CampaignClosed(Event):
    """A campaign ended on `closed_on`: no distribution is dated after it."""

    TYPE = "CampaignClosed"
    STREAM = "reference"

    campaign_id: Identifier
    closed_on: date
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.campaign_id


class CampaignAreasChanged(Event):
    """From `effective_on`, a campaign covers `region_codes` (none: every region) instead of
    `previous_region_codes`: records dated before it are still judged by the old areas."""

    TYPE = "CampaignAreasChanged"
    STREAM = "reference"

    campaign_id: Identifier
    region_codes: list[str] = Field(max_length=100)
    previous_region_codes: list[str] = Field(max_length=100)
    effective_on: date
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.campaign_id


class AidDistributed(Event):
    """A household received aid at a site: a fact, even when it arrives late from the field."""

    TYPE = "AidDistributed"
    STREAM = "distributions"

    distribution_id: Identifier
    household_id: Identifier
    identity: Pseudonym
    campaign_id: Identifier
    site_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    region_code: str
    province_code: str | None = None
    distributed_at: AwareDatetime
    offline: bool = False

    @property
    def aggregate_id(self) -> str:
        return self.identity


class DuplicateDistributionFlagged(Event):
    """A late record beyond the household's entitlement: kept for follow-up, never dropped."""

    TYPE = "DuplicateDistributionFlagged"
    STREAM = "distributions"

    distribution_id: Identifier
    household_id: Identifier
    identity: Pseudonym
    campaign_id: Identifier
    site_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    region_code: str
    province_code: str | None = None
    first_distribution_id: Identifier
    already_received: int = Field(ge=0)
    # when the basket was handed (absent from records flagged before it was kept)
    distributed_at: AwareDatetime | None = None

    @property
    def aggregate_id(self) -> str:
        return self.identity


class LateDistributionFlagged(Event):
    """A basket recorded offline on a day its campaign no longer ran (closed, or past its
    dates), synced after: kept for a coordinator to void or accept, never dropped and never
    counted until accepted."""

    TYPE = "LateDistributionFlagged"
    STREAM = "distributions"

    distribution_id: Identifier
    household_id: Identifier
    identity: Pseudonym
    campaign_id: Identifier
    site_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    region_code: str
    province_code: str | None = None
    distributed_at: AwareDatetime
    # `campaign_closed`: handed after the campaign was closed; `outside_campaign`: before its
    # first day or after its last
    why: LateWhy

    @property
    def aggregate_id(self) -> str:
        return self.identity


class DistributionVoided(Event):
    """A distribution recorded by mistake, cancelled: it stays in the log, the household may
    receive its entitlement again and the site's stock gets the quantity back."""

    TYPE = "DistributionVoided"
    STREAM = "distributions"

    distribution_id: Identifier
    household_id: Identifier
    identity: Pseudonym
    campaign_id: Identifier
    site_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.identity


class DuplicateVoided(Event):
    """A flagged duplicate resolved as a mistake (the second record of one basket): nothing
    moves, it stays in the log and in the history, and no longer waits for follow-up."""

    TYPE = "DuplicateVoided"
    STREAM = "distributions"

    distribution_id: Identifier
    household_id: Identifier
    identity: Pseudonym
    campaign_id: Identifier
    site_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.identity


class DuplicateAccepted(Event):
    """A flagged duplicate resolved as an exception: the basket was really handed, beyond the
    entitlement. It counts as received from now on and the site's stock gives the quantity."""

    TYPE = "DuplicateAccepted"
    STREAM = "distributions"

    distribution_id: Identifier
    household_id: Identifier
    identity: Pseudonym
    campaign_id: Identifier
    site_id: Identifier
    item_id: Identifier
    quantity: PositiveQuantity
    region_code: str
    province_code: str | None = None
    distributed_at: AwareDatetime
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.identity
