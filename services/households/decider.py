"""The single writer of a household's registration, keyed by its identity pseudonym."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from events import Event
from events.households import HouseholdRegistered, PersonalDataErased
from services.commands import Command
from services.decisions import Refused

STREAM = "household-commands"


class RegisterHousehold(Command):
    TYPE = "RegisterHousehold"
    STREAM = STREAM

    household: HouseholdRegistered

    @property
    def aggregate_id(self) -> str:
        return self.household.identity


class ErasePersonalData(Command):
    TYPE = "ErasePersonalData"
    STREAM = STREAM

    household_id: str
    identity: str

    @property
    def aggregate_id(self) -> str:
        return self.identity


Registration = HouseholdRegistered | None


class HouseholdDecider:
    event_stream: str = "households"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = {
        c.TYPE: c for c in (RegisterHousehold, ErasePersonalData)
    }

    def initial(self) -> Registration:
        return None

    def evolve(self, state: Registration, event: Event) -> Registration:
        if isinstance(event, HouseholdRegistered) and state is None:
            return event
        return state

    def decide(self, state: Registration, command: Command, now: datetime) -> list[Event]:
        if isinstance(command, ErasePersonalData):
            return [
                PersonalDataErased(household_id=command.household_id, identity=command.identity)
            ]
        assert isinstance(command, RegisterHousehold)
        if state is None:
            return [command.household]
        raise Refused(
            "already_registered",
            f"this person is already registered in household {state.household_id}",
            household_id=state.household_id,
        )
