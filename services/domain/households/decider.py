"""The single writer of a household's registration, keyed by its identity pseudonym."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from events import Event
from events.base import Identifier
from events.households import (
    CARD_CHECK_PATTERN,
    ErasureReason,
    Group,
    HouseholdCardIssued,
    HouseholdProfileUpdated,
    HouseholdRegistered,
    MemberCounts,
    PersonalDataErased,
    Pseudonym,
)
from services.domain.commands import Command
from services.domain.decisions import Refused, Rejected
from services.domain.dispatching import on_message

STREAM = "household-commands"


class RegisterHousehold(Command):
    """A household as the registering agent gave it, identifiers already pseudonymised and
    personal fields already sealed (nothing in clear reaches a topic)."""

    TYPE = "RegisterHousehold"
    STREAM = STREAM

    household_id: Identifier
    identity: Pseudonym = Field(min_length=8, max_length=64)
    national_id_pseudonym: Pseudonym | None = None
    registry_pseudonym: Pseudonym | None = None
    sealed_personal_data: str = Field(max_length=8192)
    size: int = Field(ge=1, le=100)
    region_code: str = Field(min_length=1, max_length=32)
    province_code: str | None = Field(default=None, max_length=32)
    groups: list[Group] = Field(default_factory=list)
    precarity_score: float | None = Field(default=None, ge=0, le=100)
    members: MemberCounts | None = None
    site_id: Identifier | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_older_shape(cls, data: Any) -> Any:
        """The older shape carried the ready event under `household`; such a command may
        still wait in the topic when the worker is upgraded."""
        if isinstance(data, dict) and isinstance(data.get("household"), dict):
            return {k: v for k, v in data["household"].items() if k != "type"}
        return data

    @property
    def aggregate_id(self) -> str:
        return self.identity


class UpdateHouseholdProfile(Command):
    """A household's situation assessed again: its whole anonymous profile, and its personal
    data sealed again (sealing is deterministic: the same fields seal the same)."""

    TYPE = "UpdateHouseholdProfile"
    STREAM = STREAM

    household_id: Identifier
    identity: Pseudonym = Field(min_length=8, max_length=64)
    size: int = Field(ge=1, le=100)
    region_code: str = Field(min_length=1, max_length=32)
    province_code: str | None = Field(default=None, max_length=32)
    groups: list[Group] = Field(default_factory=list)
    precarity_score: float | None = Field(default=None, ge=0, le=100)
    members: MemberCounts | None = None
    sealed_personal_data: str | None = Field(default=None, max_length=8192)
    site_id: Identifier | None = None

    @property
    def aggregate_id(self) -> str:
        return self.identity


class ErasePersonalData(Command):
    TYPE = "ErasePersonalData"
    STREAM = STREAM

    household_id: str
    identity: str
    reason: ErasureReason | None = None

    @property
    def aggregate_id(self) -> str:
        return self.identity


class IssueHouseholdCard(Command):
    """A new card for a household, replacing its current one; `check` is chosen by whoever
    sends the command (at random), so deciding stays deterministic."""

    TYPE = "IssueHouseholdCard"
    STREAM = STREAM

    household_id: Identifier
    identity: Pseudonym = Field(min_length=8, max_length=64)
    check: str = Field(pattern=CARD_CHECK_PATTERN)

    @property
    def aggregate_id(self) -> str:
        return self.identity


def personal_data_digest(sealed: str | None) -> bytes | None:
    """Which sealed personal data a household has. The writer compares it and never opens
    it, so a digest will do: every household's ciphertext would weigh on its memory."""
    return hashlib.blake2b(sealed.encode(), digest_size=16).digest() if sealed else None


@dataclass(frozen=True, slots=True)
class Situation:
    """A household's profile as last decided, and which personal data it last sealed."""

    size: int
    region_code: str
    province_code: str | None
    groups: tuple[str, ...]
    precarity_score: float | None
    members: MemberCounts | None
    personal_data: bytes | None  # personal_data_digest of the sealed data
    site_id: str | None = None

    @classmethod
    def of(
        cls, fact: HouseholdRegistered | HouseholdProfileUpdated | UpdateHouseholdProfile
    ) -> Situation:
        return cls(
            fact.size, fact.region_code, fact.province_code, tuple(fact.groups),
            fact.precarity_score, fact.members, personal_data_digest(fact.sealed_personal_data),
            fact.site_id,
        )  # fmt: skip

    def updated(self, change: HouseholdProfileUpdated | UpdateHouseholdProfile) -> Situation:
        """The situation after the change; sealed data given none stands."""
        new = Situation.of(change)
        return new if new.personal_data else replace(new, personal_data=self.personal_data)

    def same_as(self, other: Situation) -> bool:
        """Nothing changes: the same profile, members counted alike (on whatever day), the
        same sealed data."""
        mine, theirs = replace(self, members=None), replace(other, members=None)
        same_members = self.members is other.members is None or (
            self.members is not None and self.members.same_counts(other.members)
        )
        return mine == theirs and same_members


@dataclass(frozen=True, slots=True)
class Registration:
    """Whose household this person's registration is, if any (later ones were refused), and
    the household's situation as last updated. Erasure forgets both: the person may register
    again, as a new household nothing links to the erased one."""

    household_id: str | None = None
    situation: Situation | None = None
    card_number: int = 0  # the household's current card (0: none issued yet)

    def holds(self, household_id: str) -> bool:
        """Whether this person's registration is that household's (never once erased)."""
        return self.household_id == household_id


@on_message
def evolve(state: Registration, event: Event) -> Registration:
    return state


@evolve.register
def _(state: Registration, event: HouseholdRegistered) -> Registration:
    if state.household_id:
        return state
    return Registration(event.household_id, Situation.of(event))


@evolve.register
def _(state: Registration, event: HouseholdProfileUpdated) -> Registration:
    if state.situation is None or not state.holds(event.household_id):
        return state
    return replace(state, situation=state.situation.updated(event))


@evolve.register
def _(state: Registration, event: HouseholdCardIssued) -> Registration:
    if not state.holds(event.household_id):
        return state
    return replace(state, card_number=max(state.card_number, event.card_number))


@evolve.register
def _(state: Registration, event: PersonalDataErased) -> Registration:
    if state.holds(event.household_id):
        return Registration()
    return state


@on_message
def decide(state: Registration, command: Command, now: datetime) -> list[Event]:
    raise Rejected("unknown_command", f"households cannot handle {command.TYPE}")


@decide.register
def _(state: Registration, command: RegisterHousehold, now: datetime) -> list[Event]:
    if state.household_id is not None:
        raise Refused(
            "already_registered",
            f"this person is already registered in household {state.household_id}",
            household_id=state.household_id,
        )
    # read from the command's fields (an import's hot path: a third of dumping and reading)
    return [HouseholdRegistered.model_validate(command, from_attributes=True)]


@decide.register
def _(state: Registration, command: UpdateHouseholdProfile, now: datetime) -> list[Event]:
    """The new profile, unless it is the one the household has already (a retry)."""
    situation = state.situation
    if situation is None or not state.holds(command.household_id):
        raise Refused(
            "unknown_household", f"no registered household {command.household_id} to update"
        )
    if situation.updated(command).same_as(situation):
        return []
    moved_from = situation.site_id if situation.site_id != command.site_id else None
    return [HouseholdProfileUpdated(**command.model_dump(), previous_site_id=moved_from)]


@decide.register
def _(state: Registration, command: ErasePersonalData, now: datetime) -> list[Event]:
    if not state.holds(command.household_id):
        raise Refused(
            "unknown_household", f"no registered household {command.household_id} to erase"
        )
    return [
        PersonalDataErased(
            household_id=command.household_id, identity=command.identity, reason=command.reason
        )
    ]


@decide.register
def _(state: Registration, command: IssueHouseholdCard, now: datetime) -> list[Event]:
    """The household's next card (the first is number 1); the one before stops working."""
    if not state.holds(command.household_id):
        raise Refused(
            "unknown_household",
            f"no registered household {command.household_id} to issue a card to "
            "(never registered, or its personal data was erased)",
        )
    return [HouseholdCardIssued(**command.model_dump(), card_number=state.card_number + 1)]
