"""Locations and items: the reference data every movement points at."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from events.reference import ItemDefined, LocationRegistered
from projections import queries, report_queries
from projections.paging import EVERYTHING, Page, Paging
from services.app.errors import Invalid, NotFound
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, known, seen
from services.app.sending import Outcome, decide, register
from services.domain.reference.decider import (
    DefineItem,
    RegisterLocation,
    SetLocationCoordinates,
)


async def register_location(
    ports: Ports, user: User, now: datetime, location: LocationRegistered
) -> Outcome:
    """Register a warehouse or a distribution site, in areas named as the locations
    registered before name them (a code has one name in every report)."""
    authorize(user, "reference.write")
    await _named_as_before(ports, location)
    command = RegisterLocation(location=location)
    return await register(ports, command, location.location_id, user, now)


async def _named_as_before(ports: Ports, location: LocationRegistered) -> None:
    """Invalid, naming the field, when the location calls its region or province otherwise
    than the locations registered before (the same location again is its own repeat)."""
    if await in_thread(queries.location, ports.engine, location.location_id) is not None:
        return  # registered before: the writer answers the repeat, or the id taken
    regions, provinces = await in_thread(
        queries.area_names, ports.engine, location.region_code, location.province_code
    )
    for field, code, given, named in (
        ("region_name", location.region_code, location.region_name, regions),
        ("province_name", location.province_code, location.province_name, provinces),
    ):
        named = named - {code}  # an upcast location of before names: its code stood in
        if named and given is not None and given not in named:
            raise Invalid(
                f"{code} is named {' / '.join(sorted(named))!r} by the locations registered "
                f"there: give that {field.replace('_', ' ')}, as every report names it so",
                field=field,
            )


async def set_coordinates(
    ports: Ports, user: User, now: datetime, command: SetLocationCoordinates, command_id: str
) -> Outcome:
    """Say where a registered location lies, or correct it (the same again records nothing)."""
    authorize(user, "reference.write")
    await known(ports, queries.location, command.location_id, "location_id", "location")
    reply = await decide(ports, command, command_id, user, now)
    return Outcome.registered(command.location_id, reply)


async def list_locations(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """All registered locations."""
    authorize(user, "reference.read")
    return await in_thread(queries.all_locations, ports.engine, paging)


async def location(ports: Ports, user: User, location_id: str) -> dict:
    """One registered location (after this process's own writes), or NotFound."""
    authorize(user, "reference.read")
    found = await seen(ports, "reference", queries.location, location_id)
    if found is None:
        raise NotFound(f"no location {location_id!r}", error="unknown_location")
    return found


async def distribution_site(ports: Ports, site_id: str) -> dict | None:
    """The location (after this process's own writes to the reference stream), if it is a
    distribution site; None otherwise."""
    found = await seen(ports, "reference", queries.location, site_id)
    return found if found is not None and found["kind"] == "site" else None


async def define_item(ports: Ports, user: User, now: datetime, item: ItemDefined) -> Outcome:
    """Define an item that can be stocked and distributed."""
    authorize(user, "reference.write")
    return await register(ports, DefineItem(item=item), item.item_id, user, now)


async def list_items(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """All defined items."""
    authorize(user, "reference.read")
    return await in_thread(queries.all_items, ports.engine, paging)


async def item_weights(ports: Ports, user: User) -> dict[str, Decimal]:
    """The weight in kg of one base unit of each item whose weight is known (a kit's from
    its latest composition)."""
    authorize(user, "reference.read")
    return await in_thread(report_queries.item_weights, ports.engine)
