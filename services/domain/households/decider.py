"""The single writer of a household's registration, keyed by its identity pseudonym."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from events import Event
from events.base import Identifier
from events.households import (
    ErasureReason,
    Group,
    HouseholdRegistered,
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


class ErasePersonalData(Command):
    TYPE = "ErasePersonalData"
    STREAM = STREAM

    household_id: str
    identity: str
    reason: ErasureReason | None = None

    @property
    def aggregate_id(self) -> str:
        return self.identity


@dataclass(frozen=True)
class Registration:
    """The person's registration, if any (later ones were refused). Erasure forgets it: the
    person may register again, as a new household nothing links to the erased one."""

    household: HouseholdRegistered | None = None


@on_message
def evolve(state: Registration, event: Event) -> Registration:
    return state


@evolve.register
def _(state: Registration, event: HouseholdRegistered) -> Registration:
    return state if state.household else Registration(event)


@evolve.register
def _(state: Registration, event: PersonalDataErased) -> Registration:
    if state.household and state.household.household_id == event.household_id:
        return Registration()
    return state


@on_message
def decide(state: Registration, command: Command, now: datetime) -> list[Event]:
    raise Rejected("unknown_command", f"households cannot handle {command.TYPE}")


@decide.register
def _(state: Registration, command: RegisterHousehold, now: datetime) -> list[Event]:
    if state.household is not None:
        raise Refused(
            "already_registered",
            f"this person is already registered in household {state.household.household_id}",
            household_id=state.household.household_id,
        )
    return [HouseholdRegistered(**command.model_dump())]


@decide.register
def _(state: Registration, command: ErasePersonalData, now: datetime) -> list[Event]:
    if state.household is None or state.household.household_id != command.household_id:
        raise Refused(
            "unknown_household", f"no registered household {command.household_id} to erase"
        )
    return [
        PersonalDataErased(
            household_id=command.household_id, identity=command.identity, reason=command.reason
        )
    ]


class HouseholdDecider:
    """Decides registrations and erasures for one person at a time."""

    event_stream: str = "households"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = {
        c.TYPE: c for c in (RegisterHousehold, ErasePersonalData)
    }
    initial = staticmethod(Registration)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
