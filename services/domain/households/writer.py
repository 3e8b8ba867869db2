"""The households' single writer: each command on its own, and the households of one
partition registered together (an import's batch as one command, decided in one go, each
household as its own `RegisterHousehold` would be).

The events are those of the households one by one (one `HouseholdRegistered` each, under
each household's own command id), so projections, replays and the contract see no batch.
A household already registered by this very registration (a batch delivered again, or a
line registered before) is a repeat: nothing new, answered as accepted again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from pydantic import Field

from events import Event
from services.domain.commands import BatchCommand, Command
from services.domain.deciding import decide_in_order
from services.domain.decisions import DomainError, Refused
from services.domain.households.decider import (
    STREAM,
    ErasePersonalData,
    IssueHouseholdCard,
    RegisterHousehold,
    Registration,
    UpdateHouseholdProfile,
    decide,
    evolve,
)

MAX_HOUSEHOLDS = 1000  # per command: the message stays well under Kafka's 1 MB


class RegisterHouseholds(BatchCommand):
    """Households whose identities all fall in one partition of the household commands,
    each to be registered as `RegisterHousehold` would register it alone."""

    TYPE = "RegisterHouseholds"
    STREAM = STREAM

    households: list[RegisterHousehold] = Field(min_length=1, max_length=MAX_HOUSEHOLDS)

    def items(self) -> Sequence[tuple[str, Command]]:
        """Each household under the client id it would have on its own (its id)."""
        return [(h.household_id, h) for h in self.households]


def decide_registrations(
    state_of: Callable[[str], Registration],
    households: Sequence[RegisterHousehold],
    now: datetime,
    ended: dict[str, Registration] | None = None,
) -> list[list[Event] | DomainError]:
    """Each household's events, or why not, in order: each decided on the state the ones
    before it left (the same person twice in a batch: the second is refused naming the
    first's household), and one already registered as this same household is a repeat;
    `ended` as `decide_in_order`."""

    def registered(state: Registration, household: RegisterHousehold) -> list[Event]:
        return [] if state.holds(household.household_id) else decide(state, household, now)

    return decide_in_order(
        state_of, households, registered, evolve, refusals=(Refused,), ended=ended
    )


class HouseholdDecider:
    """Decides registrations, profile updates, cards and erasures for one person at a time,
    and the registrations of a partition in a batch."""

    event_stream: str = "households"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = {
        c.TYPE: c
        for c in (
            RegisterHousehold,
            RegisterHouseholds,
            UpdateHouseholdProfile,
            ErasePersonalData,
            IssueHouseholdCard,
        )
    }
    initial = staticmethod(Registration)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
    decide_batch = staticmethod(decide_registrations)
