"""Reference data is written once per id: the same registration again changes nothing,
a different one under a taken id is refused."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from events import Event
from events.households import CampaignOpened
from events.reference import ItemDefined, LocationRegistered
from services.commands import Command
from services.decisions import Refused

STREAM = "reference-commands"


class RegisterLocation(Command):
    TYPE = "RegisterLocation"
    STREAM = STREAM

    location: LocationRegistered

    @property
    def aggregate_id(self) -> str:
        return self.location.location_id


class DefineItem(Command):
    TYPE = "DefineItem"
    STREAM = STREAM

    item: ItemDefined

    @property
    def aggregate_id(self) -> str:
        return self.item.item_id


class OpenCampaign(Command):
    TYPE = "OpenCampaign"
    STREAM = STREAM

    campaign: CampaignOpened

    @property
    def aggregate_id(self) -> str:
        return self.campaign.campaign_id


Registered = dict[str, Any] | None


class ReferenceDecider:
    event_stream: str = "reference"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = {
        c.TYPE: c for c in (RegisterLocation, DefineItem, OpenCampaign)
    }

    def initial(self) -> Registered:
        return None

    def evolve(self, state: Registered, event: Event) -> Registered:
        return state or event.model_dump(mode="json")

    def decide(self, state: Registered, command: Command, now: datetime) -> list[Event]:
        event = _registered(command)
        if state is None:
            return [event]
        if state == event.model_dump(mode="json"):
            return []
        raise Refused(
            "already_exists",
            f"{event.aggregate_id!r} is already registered with other values",
            existing=state,
        )


def _registered(command: Command) -> Event:
    if isinstance(command, RegisterLocation):
        return command.location
    if isinstance(command, DefineItem):
        return command.item
    assert isinstance(command, OpenCampaign)
    return command.campaign
