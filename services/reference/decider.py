"""Things registered once per id (locations, items, campaigns, operations, donors,
donations): the same registration again changes nothing, a different one under a
taken id is refused."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from events import Event
from events.households import CampaignOpened
from events.reference import ItemDefined, LocationRegistered
from events.relief import DonationReceived, DonorRegistered, OperationOpened
from services.commands import Command
from services.decisions import Refused

STREAM = "reference-commands"


class Register(Command):
    """Record `fact` unless its id is taken; subclasses name the kind of fact."""

    STREAM = STREAM

    @property
    def fact(self) -> Event:
        fact: Event = getattr(self, next(iter(type(self).model_fields)))
        return fact

    @property
    def aggregate_id(self) -> str:
        return self.fact.aggregate_id


class RegisterLocation(Register):
    TYPE = "RegisterLocation"
    location: LocationRegistered


class DefineItem(Register):
    TYPE = "DefineItem"
    item: ItemDefined


class OpenCampaign(Register):
    TYPE = "OpenCampaign"
    campaign: CampaignOpened


class OpenOperation(Register):
    TYPE = "OpenOperation"
    operation: OperationOpened


class RegisterDonor(Register):
    TYPE = "RegisterDonor"
    donor: DonorRegistered


class RecordDonation(Register):
    TYPE = "RecordDonation"
    STREAM = "donation-commands"
    donation: DonationReceived


Registered = dict[str, Any] | None


class RegisterOnceDecider:
    """Decides registrations of one event stream."""

    def __init__(self, event_stream: str, command_stream: str, *kinds: type[Register]) -> None:
        self.event_stream = event_stream
        self.command_stream = command_stream
        self.commands: Mapping[str, type[Command]] = {k.TYPE: k for k in kinds}

    def initial(self) -> Registered:
        return None

    def evolve(self, state: Registered, event: Event) -> Registered:
        return state or event.model_dump(mode="json")

    def decide(self, state: Registered, command: Command, now: datetime) -> list[Event]:
        assert isinstance(command, Register)
        fact = command.fact
        if state is None:
            return [fact]
        if state == fact.model_dump(mode="json"):
            return []
        raise Refused(
            "already_exists",
            f"{fact.aggregate_id!r} is already registered with other values",
            existing=state,
        )


def ReferenceDecider() -> RegisterOnceDecider:
    return RegisterOnceDecider(
        "reference",
        STREAM,
        RegisterLocation,
        DefineItem,
        OpenCampaign,
        OpenOperation,
        RegisterDonor,
    )


def DonationDecider() -> RegisterOnceDecider:
    return RegisterOnceDecider("donations", "donation-commands", RecordDonation)
