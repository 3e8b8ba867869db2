"""What the household's distributions writer is asked: record a basket, void one, resolve a
flagged duplicate. Each is decided under the household's `identity` (its pseudonym)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import AwareDatetime, Field, SerializerFunctionWrapHandler, model_serializer

from events.base import Identifier, PositiveQuantity
from services.domain.commands import BatchCommand, Command
from services.domain.distributions.eligibility import CampaignTerms

STREAM = "distribution-commands"
# What a coordinator makes of a flagged duplicate: a second record of one basket ("void"),
# or a second basket really handed, accepted as an exception ("accept").
Resolution = Literal["void", "accept"]
# Records per `RecordDistributions`: the command, and its reply with each record's events,
# stay well under Kafka's 1 MB (the sender also weighs them, `services/app/import_batches.py`).
MAX_RECORDS = 500


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
    household_size: int | None = Field(default=None, ge=1, le=100)
    site_id: Identifier
    quantity: PositiveQuantity
    occurred_at: AwareDatetime | None = None
    offline: bool = False

    @model_serializer(mode="wrap")
    def _size_when_it_counts(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The household's size is part of what is asked only when the campaign gives larger
        households more: otherwise a record serializes as it did before campaigns could, so
        one retried across that change is still the same request (same digest)."""
        data: dict[str, Any] = handler(self)
        if self.campaign.larger_households is None:
            data.pop("household_size", None)
        return data

    @property
    def aggregate_id(self) -> str:
        return self.identity


class RecordDistributions(BatchCommand):
    """Records whose households' identities all fall in one partition of the distribution
    commands (an offline sync's, grouped by the sender), each to be decided as
    `RecordDistribution` would decide it alone, in their order."""

    TYPE = "RecordDistributions"
    STREAM = STREAM
    ITEM_EVENTS = True  # what became of a record (accepted, flagged, late) is in its events

    records: list[RecordDistribution] = Field(min_length=1, max_length=MAX_RECORDS)

    def items(self) -> Sequence[tuple[str, Command]]:
        """Each record under the client id it has on its own (its id)."""
        return [(r.distribution_id, r) for r in self.records]


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
