"""Locations and items: the reference data every movement points at."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from api.auth import authorize
from api.decide import register
from api.deps import CurrentUser, Now, ServicesDep
from api.reads import ReadAfter
from api.schemas.reference import (
    ItemCreate,
    ItemList,
    ItemPublic,
    LocationCreate,
    LocationList,
    LocationPublic,
)
from events.reference import ItemDefined, LocationRegistered
from projections import queries
from services.reference.decider import DefineItem, RegisterLocation

router = APIRouter(prefix="/v1", tags=["reference"])


def _location_public(row: dict[str, Any]) -> LocationPublic:
    return LocationPublic(
        id=row["location_id"], **{k: v for k, v in row.items() if k != "location_id"}
    )


def _item_public(row: dict[str, Any]) -> ItemPublic:
    return ItemPublic(id=row["item_id"], name=row["name"], unit=row["unit"])


@router.post("/locations", status_code=201, response_model=LocationPublic)
async def register_location(
    body: LocationCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> LocationPublic:
    """Register a warehouse or a distribution site."""
    authorize(user, "reference.write")
    event = LocationRegistered(location_id=body.id, **body.model_dump(exclude={"id"}))
    reply = await register(services, RegisterLocation(location=event), body.id, user, now, response)
    return LocationPublic(id=body.id, position=reply.position, **body.model_dump(exclude={"id"}))


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
    reply = await register(services, DefineItem(item=event), body.id, user, now, response)
    return ItemPublic(id=body.id, name=body.name, unit=body.unit, position=reply.position)


@router.get("/items", response_model=ItemList)
async def list_items(services: ServicesDep, user: CurrentUser, _: ReadAfter) -> ItemList:
    """All defined items."""
    authorize(user, "reference.read")
    rows = await run_in_threadpool(queries.all_items, services.engine)
    return ItemList(items=[_item_public(r) for r in rows])
