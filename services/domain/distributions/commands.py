"""What the household's distributions writer is asked: record a basket, void one, resolve a
flagged duplicate. Each is decided under the household's `identity` (its pseudonym)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from events.base import Identifier, PositiveQuantity
from services.domain.commands import Command
from services.domain.distributions.eligibility import CampaignTerms

STREAM = "distribution-commands"
# What a coordinator makes of a flagged duplicate: a second record of one basket ("void"),
# or a second basket really handed, accepted as an exception ("accept").
Resolution = Literal["void", "accept"]


class RecordDistribution(Command):
    """A basket handed to a household. The application layer adds what the household's
    writer does not hold: the campaign's terms and the household's profile, both as their
    events told them; `offline` marks a late sync."""

    TYPE = "RecordDistribution"
    STREAM = STREAM

    distribution_id: Identifier
    household_id: Identifier
    identity: str
    campaign: CampaignTerms
    region_code: str
    province_code: str | None = None
    groups: list[str] = []
    precarity_score: float | None = None
    site_id: Identifier
    quantity: PositiveQuantity
    occurred_at: AwareDatetime | None = None
    offline: bool = False

    @property
    def aggregate_id(self) -> str:
        return self.identity


class VoidDistribution(Command):
    """Cancel a distribution recorded by mistake (the wrong household, a basket never
    handed): `identity` is the household's, as its distributions are decided under."""

    TYPE = "VoidDistribution"
    STREAM = STREAM

    distribution_id: Identifier
    identity: str
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.identity


class ResolveDuplicate(Command):
    """A coordinator's decision on a flagged duplicate of this household, with its reason."""

    TYPE = "ResolveDuplicate"
    STREAM = STREAM

    distribution_id: Identifier
    identity: str
    resolution: Resolution
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.identity
