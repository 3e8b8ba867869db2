"""What a household's distributions writer remembers: the baskets it received per campaign,
the voided ones, and the records flagged (duplicates, late ones) and how each was resolved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from events import Event
from events.households import (
    AidDistributed,
    DistributionVoided,
    DuplicateAccepted,
    DuplicateDistributionFlagged,
    DuplicateVoided,
    LateDistributionFlagged,
)
from services.domain.dispatching import on_message
from services.domain.distributions.commands import Resolution

# A record kept for a coordinator: beyond the entitlement, or handed when the campaign no
# longer ran.
Flagged = DuplicateDistributionFlagged | LateDistributionFlagged


@dataclass(frozen=True)
class Received:
    distribution_id: str
    quantity: int
    site_id: str
    occurred_at: datetime
    household_id: str = ""
    item_id: str = ""


@dataclass(frozen=True)
class HouseholdAid:
    """What a household received, per campaign (voided distributions left out; duplicates
    accepted as exceptions in), and its flagged duplicates with their resolution, if any."""

    received: Mapping[str, tuple[Received, ...]] = field(default_factory=dict)
    voided: frozenset[str] = frozenset()
    flagged: Mapping[str, Flagged] = field(default_factory=dict)
    resolved: Mapping[str, Resolution] = field(default_factory=dict)

    def total(self, campaign_id: str) -> int:
        return sum(r.quantity for r in self.received.get(campaign_id, ()))


def _with(state: HouseholdAid, campaign_id: str, line: Received) -> HouseholdAid:
    before = state.received.get(campaign_id, ())
    return replace(state, received={**state.received, campaign_id: (*before, line)})


@on_message
def evolve(state: HouseholdAid, event: Event) -> HouseholdAid:
    return state


@evolve.register
def _(state: HouseholdAid, event: AidDistributed) -> HouseholdAid:
    line = Received(
        event.distribution_id,
        event.quantity,
        event.site_id,
        event.distributed_at,
        event.household_id,
        event.item_id,
    )
    return _with(state, event.campaign_id, line)


@evolve.register
def _(state: HouseholdAid, event: DistributionVoided) -> HouseholdAid:
    kept = tuple(
        r
        for r in state.received.get(event.campaign_id, ())
        if r.distribution_id != event.distribution_id
    )
    return replace(
        state,
        received={**state.received, event.campaign_id: kept},
        voided=state.voided | {event.distribution_id},
    )


@evolve.register
def _(state: HouseholdAid, event: DuplicateDistributionFlagged) -> HouseholdAid:
    return replace(state, flagged={**state.flagged, event.distribution_id: event})


@evolve.register
def _(state: HouseholdAid, event: LateDistributionFlagged) -> HouseholdAid:
    return replace(state, flagged={**state.flagged, event.distribution_id: event})


@evolve.register
def _(state: HouseholdAid, event: DuplicateVoided) -> HouseholdAid:
    return replace(state, resolved={**state.resolved, event.distribution_id: "void"})


@evolve.register
def _(state: HouseholdAid, event: DuplicateAccepted) -> HouseholdAid:
    """The exception counts as received: against the entitlement, and voidable like any."""
    line = Received(
        event.distribution_id,
        event.quantity,
        event.site_id,
        event.distributed_at,
        event.household_id,
        event.item_id,
    )
    state = replace(state, resolved={**state.resolved, event.distribution_id: "accept"})
    return _with(state, event.campaign_id, line)
