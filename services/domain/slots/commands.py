"""What a site's appointments writer is asked: plans, offers of households, moves, closed and
added days. Each names the site, whose writer decides it."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from events import Identifier
from events.households import Group
from events.slots import ExpectedHousehold, Hour, HouseholdsPerHour
from services.domain.commands import Caused, Command, GatheredCommand

STREAM = "slot-commands"
MAX_OFFERED = 1_000  # households in one offer


class SiteCommand(Command):
    STREAM = STREAM

    site_id: Identifier

    @property
    def aggregate_id(self) -> str:
        return self.site_id


class SetSlotPlan(SiteCommand):
    """Distribute on `days`, from `opens_at` to `closes_at`, `per_hour` households an hour, to
    the households the campaign's rules (given as they stand) admit."""

    TYPE = "SetSlotPlan"

    campaign_id: Identifier
    days: list[date] = Field(min_length=1, max_length=366)
    opens_at: int = Hour
    closes_at: int = Field(ge=1, le=24)
    per_hour: int = HouseholdsPerHour
    region_codes: list[str] = Field(default_factory=list, max_length=100)
    groups: list[Group] = Field(default_factory=list)
    max_precarity_score: float | None = Field(default=None, ge=0, le=100)


class OfferHouseholds(SiteCommand):
    """These households are expected at the site (again, perhaps): those a plan admits and
    that hold no slot in it get the next free ones; the others are remembered for later."""

    TYPE = "OfferHouseholds"

    households: list[ExpectedHousehold] = Field(min_length=1, max_length=MAX_OFFERED)


class OffersToSites(GatheredCommand):
    """Households' offers to the sites of one partition of the slot commands (the households
    policy's, gathered per batch of registrations and updates, an import's above all), each
    decided as it would be alone and in their order."""

    TYPE = "OffersToSites"
    STREAM = STREAM
    ONE = OfferHouseholds
    MAX = 500  # about 500 bytes each in the command, 150 in the reply

    gathered: list[Caused[OfferHouseholds]] = Field(min_length=1, max_length=MAX)


class WithdrawHouseholds(SiteCommand):
    """These households are no longer expected at the site (they moved to another, or to
    none): their slots there are released and the places given to those waiting."""

    TYPE = "WithdrawHouseholds"

    household_ids: list[Identifier] = Field(min_length=1, max_length=1_000)


class MoveSlot(SiteCommand):
    TYPE = "MoveSlot"

    campaign_id: Identifier
    household_id: Identifier
    day: date
    hour: int = Hour


class CloseSiteDay(SiteCommand):
    TYPE = "CloseSiteDay"

    campaign_id: Identifier
    day: date
    reason: str = Field(min_length=1, max_length=100)


class AddSlotDay(SiteCommand):
    TYPE = "AddSlotDay"

    campaign_id: Identifier
    day: date


SLOT_COMMANDS = (SetSlotPlan, OfferHouseholds, OffersToSites, WithdrawHouseholds, MoveSlot,
                 CloseSiteDay, AddSlotDay)  # fmt: skip
