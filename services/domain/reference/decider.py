"""Things registered once per id (locations, items, campaigns, operations, donors,
donations): the same registration again changes nothing, a different one under a
taken id is refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from events import Event, Identifier
from events.households import (
    CampaignAreasChanged,
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
)
from events.kits import KitComponent, KitCompositionSet
from events.reference import (
    ItemDefined,
    Latitude,
    LocationCoordinatesSet,
    LocationRegistered,
    Longitude,
)
from events.relief import (
    CashDonationReceived,
    DonationReceived,
    DonorRegistered,
    OperationClosed,
    OperationOpened,
)
from services.domain.commands import Command
from services.domain.dating import FIRST_DAY, LAST_DAY, plausible_day
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

    @model_serializer(mode="wrap")
    def _no_pledge_unsaid(self, handler: SerializerFunctionWrapHandler) -> Any:
        """A donation of no pledge keeps the shape (and digest) it always had."""
        data = handler(self)
        gift = data.get("donation") if isinstance(data, dict) else None
        if isinstance(gift, dict) and gift.get("pledge_id") is None:
            gift.pop("pledge_id", None)
        return data


@dataclass(frozen=True)
class Registration:
    """The values the id was first registered with (as published), if it was; and, for a
    campaign or an operation, how its lifecycle moved its end since."""

    values: Mapping[str, Any] | None = None
    ends_on: date | None = None
    closed_on: date | None = None
    region_codes: tuple[str, ...] | None = None  # a campaign's areas, once changed
    # an item's kit composition: the latest version and its components
    composition_version: int = 0
    components: tuple[KitComponent, ...] = ()
    # a location's coordinates as set since its registration
    coordinates: tuple[float, float] | None = None
    spent: int = 0  # a cash donation's minor units spent on purchases


Registered = (
    LocationRegistered
    | ItemDefined
    | CampaignOpened
    | OperationOpened
    | DonorRegistered
    | DonationReceived
    | CashDonationReceived
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


@evolve.register
def _(state: Registration, event: LocationCoordinatesSet) -> Registration:
    return replace(state, coordinates=(event.latitude, event.longitude))


@evolve.register
def _(state: Registration, event: CampaignExtended) -> Registration:
    return replace(state, ends_on=event.ends_on)


@evolve.register
def _(state: Registration, event: CampaignClosed | OperationClosed) -> Registration:
    return replace(state, closed_on=event.closed_on)


@evolve.register
def _(state: Registration, event: CampaignAreasChanged) -> Registration:
    return replace(state, region_codes=tuple(event.region_codes))


@on_message
def decide(state: Registration, command: Command, now: datetime) -> list[Event]:
    raise Rejected("unknown_command", f"the registry cannot handle {command.TYPE}")


@decide.register
def _register(state: Registration, command: Register, now: datetime) -> list[Event]:
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


def _within_the_calendar(day: date, field: str) -> None:
    """A campaign's day falls in the years 2000 to 2100 (a mistyped year otherwise)."""
    if not plausible_day(day):
        raise Rejected(
            "date_out_of_range",
            f"{field} is a day from {FIRST_DAY} to {LAST_DAY}: check its year",
            field=field,
            reason="date_out_of_range",
        )


@decide.register
def _(state: Registration, command: OpenCampaign, now: datetime) -> list[Event]:
    if state.values is None:  # a campaign opened before this rule stays as it was
        _within_the_calendar(command.campaign.starts_on, "starts_on")
        _within_the_calendar(command.campaign.ends_on, "ends_on")
    return _register(state, command, now)


class ExtendCampaign(Command):
    TYPE = "ExtendCampaign"
    STREAM = STREAM

    campaign_id: Identifier
    ends_on: date
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.campaign_id


class CloseCampaign(Command):
    TYPE = "CloseCampaign"
    STREAM = STREAM

    campaign_id: Identifier
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.campaign_id


class ChangeCampaignAreas(Command):
    """Cover other regions from today on (none: every region)."""

    TYPE = "ChangeCampaignAreas"
    STREAM = STREAM

    campaign_id: Identifier
    region_codes: list[str] = Field(max_length=100)
    reason: str = Field(min_length=1, max_length=100)

    @property
    def aggregate_id(self) -> str:
        return self.campaign_id


def _open_campaign(state: Registration, campaign_id: str) -> date:
    """The campaign's current end, or a refusal when it is not an open campaign."""
    if state.values is None or "quantity_per_household" not in state.values:
        raise Refused("unknown_campaign", f"no campaign {campaign_id!r}", campaign_id=campaign_id)
    if state.closed_on is not None:
        raise Refused(
            "campaign_closed",
            f"campaign {campaign_id!r} closed on {state.closed_on}",
            closed_on=str(state.closed_on),
        )
    return state.ends_on or date.fromisoformat(state.values["ends_on"])


@decide.register
def _(state: Registration, command: ExtendCampaign, now: datetime) -> list[Event]:
    ends_on = _open_campaign(state, command.campaign_id)
    _within_the_calendar(command.ends_on, "ends_on")
    if command.ends_on <= ends_on:
        raise Rejected(
            "not_later",
            f"the campaign already runs to {ends_on}; extend it past that day",
            field="ends_on",
            ends_on=str(ends_on),
        )
    return [CampaignExtended(**command.model_dump())]


@decide.register
def _(state: Registration, command: CloseCampaign, now: datetime) -> list[Event]:
    """Closed today (or on its end, when that has passed): nothing dated after it counts."""
    ends_on = _open_campaign(state, command.campaign_id)
    closed_on = min(now.date(), ends_on)
    return [CampaignClosed(campaign_id=command.campaign_id, closed_on=closed_on,
                           reason=command.reason)]  # fmt: skip


class CloseOperation(Command):
    TYPE = "CloseOperation"
    STREAM = STREAM

    operation_id: Identifier
    reason: str | None = Field(default=None, max_length=500)

    @property
    def aggregate_id(self) -> str:
        return self.operation_id


@decide.register
def _(state: Registration, command: CloseOperation, now: datetime) -> list[Event]:
    """Closed today: from then on no convoy is planned for it (the convoys' writer is told
    so with each plan); the convoys planned before go on to their end."""
    if state.values is None or state.values.get("operation_id") != command.operation_id:
        raise Refused(
            "unknown_operation",
            f"no operation {command.operation_id!r}",
            operation_id=command.operation_id,
        )
    if state.closed_on is not None:
        raise Refused(
            "operation_closed",
            f"operation {command.operation_id!r} closed on {state.closed_on}",
            closed_on=str(state.closed_on),
        )
    return [OperationClosed(operation_id=command.operation_id, closed_on=now.date(),
                            reason=command.reason)]  # fmt: skip


@decide.register
def _(state: Registration, command: ChangeCampaignAreas, now: datetime) -> list[Event]:
    """Going forward only: from today (or the campaign's first day, if it has not begun),
    what was decided before stays judged by the areas of its day."""
    ends_on = _open_campaign(state, command.campaign_id)
    assert state.values is not None  # an open campaign was registered
    if now.date() > ends_on:
        raise Refused(
            "campaign_ended",
            f"the campaign ended on {ends_on}: extend it before changing its areas",
            ends_on=str(ends_on),
        )
    previous = list(state.region_codes or state.values["region_codes"])
    regions = sorted(set(command.region_codes))
    if regions == sorted(previous):
        raise Rejected(
            "no_change",
            "the campaign already covers these regions",
            field="region_codes",
            region_codes=previous,
        )
    effective_on = max(now.date(), date.fromisoformat(state.values["starts_on"]))
    return [
        CampaignAreasChanged(
            campaign_id=command.campaign_id,
            region_codes=regions,
            previous_region_codes=previous,
            effective_on=effective_on,
            reason=command.reason,
        )
    ]


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


class SetLocationCoordinates(Command):
    """Say where a registered location lies (or correct it)."""

    TYPE = "SetLocationCoordinates"
    STREAM = STREAM

    location_id: Identifier
    latitude: Latitude
    longitude: Longitude

    @property
    def aggregate_id(self) -> str:
        return self.location_id


@decide.register
def _(state: Registration, command: SetLocationCoordinates, now: datetime) -> list[Event]:
    """The new coordinates; the ones the location already has again record nothing."""
    if state.values is None or "location_id" not in state.values:
        raise Refused(
            "unknown_location",
            f"no location {command.location_id!r}: register it before its coordinates",
            location_id=command.location_id,
        )
    registered = (state.values.get("latitude"), state.values.get("longitude"))
    if (command.latitude, command.longitude) == (state.coordinates or registered):
        return []
    return [LocationCoordinatesSet(**command.model_dump())]


class ReferenceDecider:
    """Decides the registrations of locations, items, campaigns, operations and donors, and
    the ends of campaigns and operations."""

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
            ExtendCampaign,
            CloseCampaign,
            ChangeCampaignAreas,
            CloseOperation,
            SetKitComposition,
            SetLocationCoordinates,
        )
    }
    initial = staticmethod(Registration)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
