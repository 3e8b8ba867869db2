"""Locations and items: the reference data every movement points at."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.answers import item_public, location_public, repeated
from api.deps import CurrentUser, Now, PageOf, ServicesDep
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
from services.app import reference

router = APIRouter(prefix="/v1", tags=["reference"])


@router.post("/locations", status_code=201, response_model=LocationPublic)
async def register_location(
    body: LocationCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> LocationPublic:
    """Register a warehouse or a distribution site."""
    location = LocationRegistered(location_id=body.id, **body.model_dump(exclude={"id"}))
    outcome = await reference.register_location(services, user, now, location)
    repeated(outcome, response)
    return LocationPublic(id=body.id, position=outcome.position, **body.model_dump(exclude={"id"}))


@router.get("/locations", response_model=LocationList)
async def list_locations(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, page: PageOf
) -> LocationList:
    """All registered locations."""
    found = await reference.list_locations(services, user, page)
    return LocationList(items=[location_public(r) for r in found.items], next=found.next)


@router.post("/items", status_code=201, response_model=ItemPublic)
async def define_item(
    body: ItemCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> ItemPublic:
    """Define an item that can be stocked and distributed."""
    item = ItemDefined(item_id=body.id, **body.model_dump(exclude={"id"}))
    outcome = await reference.define_item(services, user, now, item)
    repeated(outcome, response)
    return ItemPublic(id=body.id, position=outcome.position, **body.model_dump(exclude={"id"}))


@router.get("/items", response_model=ItemList)
async def list_items(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, page: PageOf
) -> ItemList:
    """All defined items."""
    found = await reference.list_items(services, user, page)
    return ItemList(items=[item_public(r) for r in found.items], next=found.next)
