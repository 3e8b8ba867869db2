"""Locations and items: the reference data every movement points at."""

from __future__ import annotations

from datetime import datetime

from events.reference import ItemDefined, LocationRegistered
from projections import queries
from projections.paging import EVERYTHING, Page, Paging
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread
from services.app.sending import Outcome, register
from services.domain.reference.decider import DefineItem, RegisterLocation


async def register_location(
    ports: Ports, user: User, now: datetime, location: LocationRegistered
) -> Outcome:
    """Register a warehouse or a distribution site."""
    authorize(user, "reference.write")
    command = RegisterLocation(location=location)
    return await register(ports, command, location.location_id, user, now)


async def list_locations(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """All registered locations."""
    authorize(user, "reference.read")
    return await in_thread(queries.all_locations, ports.engine, paging)


async def define_item(ports: Ports, user: User, now: datetime, item: ItemDefined) -> Outcome:
    """Define an item that can be stocked and distributed."""
    authorize(user, "reference.write")
    return await register(ports, DefineItem(item=item), item.item_id, user, now)


async def list_items(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """All defined items."""
    authorize(user, "reference.read")
    return await in_thread(queries.all_items, ports.engine, paging)
