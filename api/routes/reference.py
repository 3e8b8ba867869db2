"""Locations and items: the reference data every movement points at."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import authorize
from api.deps import CurrentUser, Now, ServicesDep
from api.errors import Conflict
from api.reads import ReadAfter
from api.schemas.reference import (
    ItemCreate,
    ItemList,
    ItemPublic,
    LocationCreate,
    LocationList,
    LocationPublic,
)
from events import Event
from events.reference import ItemDefined, LocationRegistered
from projections import queries
from services.recording import record

router = APIRouter(prefix="/v1", tags=["reference"])


def _location_public(row: dict[str, Any]) -> LocationPublic:
    return LocationPublic(
        id=row["location_id"], **{k: v for k, v in row.items() if k != "location_id"}
    )


def _item_public(row: dict[str, Any]) -> ItemPublic:
    return ItemPublic(id=row["item_id"], name=row["name"], unit=row["unit"])


async def _register(
    services: ServicesDep, user: CurrentUser, now: Now, event: Event, existing: dict | None
) -> str | None:
    """Publish a registration unless the same one exists; a different one is a conflict."""
    if existing is not None:
        if existing == event.model_dump():
            return None
        raise Conflict(
            f"{event.aggregate_id!r} is already registered with other values",
            error="already_exists",
        )
    position = await run_in_threadpool(
        record,
        services.publisher,
        [event],
        command_id=f"register:{event.TYPE}:{event.aggregate_id}",
        actor=user.actor,
        occurred_at=now,
        recorded_at=now,
    )
    services.wrote(position)
    return str(position)


@router.post("/locations", status_code=201, response_model=LocationPublic)
async def register_location(
    body: LocationCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> LocationPublic:
    """Register a warehouse or a distribution site."""
    authorize(user, "reference.write")
    event = LocationRegistered(location_id=body.id, **body.model_dump(exclude={"id"}))
    existing = await run_in_threadpool(queries.location, services.engine, body.id)
    position = await _register(services, user, now, event, existing)
    if position is None:
        response.status_code = 200
    return LocationPublic(id=body.id, position=position, **body.model_dump(exclude={"id"}))


@router.get("/locations", response_model=LocationList)
async def list_locations(services: ServicesDep, user: CurrentUser, _: ReadAfter) -> LocationList:
    """All registered locations."""
    authorize(user, "reference.read")
    rows = await run_in_threadpool(queries.all_locations, services.engine)
    return LocationList(items=[_location_public(r) for r in rows])


@router.post("/items", status_code=201, response_model=ItemPublic)
async def define_item(
    body: ItemCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> ItemPublic:
    """Define an item that can be stocked and distributed."""
    authorize(user, "reference.write")
    event = ItemDefined(item_id=body.id, name=body.name, unit=body.unit)
    existing = await run_in_threadpool(queries.item, services.engine, body.id)
    position = await _register(services, user, now, event, existing)
    if position is None:
        response.status_code = 200
    return ItemPublic(id=body.id, name=body.name, unit=body.unit, position=position)


@router.get("/items", response_model=ItemList)
async def list_items(services: ServicesDep, user: CurrentUser, _: ReadAfter) -> ItemList:
    """All defined items."""
    authorize(user, "reference.read")
    rows = await run_in_threadpool(queries.all_items, services.engine)
    return ItemList(items=[_item_public(r) for r in rows])
