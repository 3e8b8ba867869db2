"""A pledge folded from its events: what was promised, what arrived, whether it stands."""

from __future__ import annotations

from dataclasses import dataclass, replace

from events import Event
from events.pledges import PledgeCancelled, PledgeFulfilmentRecorded, PledgeMade
from services.domain.dispatching import on_message


@dataclass(frozen=True)
class Pledge:
    """`received` counts units of the item, or minor units of the currency."""

    made: PledgeMade | None = None
    received: int = 0
    donations: frozenset[str] = frozenset()
    cancelled: bool = False

    @property
    def pledged(self) -> int:
        return self.made.pledged if self.made else 0

    @property
    def outstanding(self) -> int:
        """What is still to come: nothing once cancelled or fulfilled."""
        return 0 if self.cancelled else max(0, self.pledged - self.received)

    @property
    def over(self) -> int:
        """What arrived beyond the promise (allowed, and shown)."""
        return max(0, self.received - self.pledged)

    @property
    def status(self) -> str:
        """unknown, open, fulfilled or cancelled."""
        if self.made is None:
            return "unknown"
        if self.received >= self.pledged:
            return "fulfilled"
        return "cancelled" if self.cancelled else "open"


@on_message
def evolve(state: Pledge, event: Event) -> Pledge:
    return state


@evolve.register
def _(state: Pledge, event: PledgeMade) -> Pledge:
    return Pledge(made=event)


@evolve.register
def _(state: Pledge, event: PledgeCancelled) -> Pledge:
    return replace(state, cancelled=True)


@evolve.register
def _(state: Pledge, event: PledgeFulfilmentRecorded) -> Pledge:
    return replace(state, received=event.received, donations=state.donations | {event.donation_id})
