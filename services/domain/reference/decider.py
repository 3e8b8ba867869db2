"""Things registered once per id (locations, items, campaigns, operations, donors,
donations): the same registration again changes nothing, a different one under a
taken id is refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import Field

from events import Event, Identifier
from events.households import CampaignOpened
from events.kits import KitComponent, KitCompositionSet
from events.reference import ItemDefined, LocationRegistered
from events.relief import DonationReceived, DonorRegistered, OperationOpened
from services.domain.commands import Command
from services.domain.decisions import Refused, Rejected
from services.domain.dispatching import on_message

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


class SetKitComposition(Command):
    """Make `kit_item_id` a kit of `components`: a new version of its composition (the
    application layer has checked that each component is an item and not a kit)."""

    TYPE = "SetKitComposition"
    STREAM = STREAM

    kit_item_id: Identifier
    components: list[KitComponent] = Field(min_length=1, max_length=50)

    @property
    def aggregate_id(self) -> str:
        return self.kit_item_id


class RecordDonation(Register):
    TYPE = "RecordDonation"
    STREAM = "donation-commands"
    donation: DonationReceived


@dataclass(frozen=True)
class Registration:
    """The values the id was first registered with (as published), if it was."""

    values: Mapping[str, Any] | None = None
    # an item's kit composition: the latest version and its components
    composition_version: int = 0
    components: tuple[KitComponent, ...] = ()


Registered = (
    LocationRegistered
    | ItemDefined
    | CampaignOpened
    | OperationOpened
    | DonorRegistered
    | DonationReceived
)


@on_message
def evolve(state: Registration, event: Event) -> Registration:
    return state


@evolve.register
def _(state: Registration, event: Registered) -> Registration:
    """The first registration stands; a later one (never accepted) changes nothing."""
    if state.values is not None:
        return state
    return replace(state, values=event.model_dump(mode="json"))


@evolve.register
def _(state: Registration, event: KitCompositionSet) -> Registration:
    return replace(state, composition_version=event.version, components=tuple(event.components))


@on_message
def decide(state: Registration, command: Command, now: datetime) -> list[Event]:
    raise Rejected("unknown_command", f"the registry cannot handle {command.TYPE}")


@decide.register
def _(state: Registration, command: Register, now: datetime) -> list[Event]:
    fact = command.fact
    if state.values is None:
        return [fact]
    if state.values == fact.model_dump(mode="json"):
        return []
    raise Refused(
        "already_exists",
        f"{fact.aggregate_id!r} is already registered with other values",
        existing=dict(state.values),
    )


@decide.register
def _(state: Registration, command: SetKitComposition, now: datetime) -> list[Event]:
    """A new version of the composition; the same components again record nothing."""
    if state.values is None or "item_id" not in state.values:
        raise Refused(
            "unknown_item",
            f"no item {command.kit_item_id!r}: define it before its composition",
            item_id=command.kit_item_id,
        )
    items = [c.item_id for c in command.components]
    if command.kit_item_id in items or len(set(items)) != len(items):
        raise Rejected(
            "invalid_composition",
            "a kit holds each component once, and never itself",
            field="components",
        )
    if tuple(command.components) == state.components:
        return []
    return [
        KitCompositionSet(
            kit_item_id=command.kit_item_id,
            version=state.composition_version + 1,
            components=command.components,
        )
    ]


class ReferenceDecider:
    """Decides the registrations of locations, items, campaigns, operations and donors."""

    event_stream: str = "reference"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = {
        k.TYPE: k
        for k in (
            RegisterLocation,
            DefineItem,
            OpenCampaign,
            OpenOperation,
            RegisterDonor,
            SetKitComposition,
        )
    }
    initial = staticmethod(Registration)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)


class DonationDecider:
    """Decides the recording of donations, each once."""

    event_stream: str = "donations"
    command_stream: str = "donation-commands"
    commands: Mapping[str, type[Command]] = {RecordDonation.TYPE: RecordDonation}
    initial = staticmethod(Registration)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
