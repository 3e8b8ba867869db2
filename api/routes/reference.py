"""Locations and items: the reference data every movement points at."""

from __future__ import annotations

import uuid

from fastapi import Response

from api import requests
from api.answers import decision, item_public, location_public, repeated
from api.deps import CurrentUser, IdempotencyKey, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.reference import (
    Coordinates,
    ItemCreate,
    ItemList,
    ItemPublic,
    LocationCreate,
    LocationList,
    LocationPublic,
)
from api.schemas.stock import Decision
from services.app import reference
from services.domain.reference.decider import SetLocationCoordinates

router = Router(prefix="/v1", tags=["reference"])


@router.post("/locations", status_code=201, response_model=LocationPublic)
async def register_location(
    body: LocationCreate, services: ServicesDep, user: CurrentUser, now: Now, response: Response
) -> LocationPublic:
    """Register a warehouse or a distribution site."""
    outcome = await reference.register_location(services, user, now, requests.location(body))
    repeated(outcome, response)
    return LocationPublic(id=body.id, position=outcome.position, **body.model_dump(exclude={"id"}))


@router.post("/locations/{location_id}/coordinates", status_code=201, response_model=Decision)
async def set_coordinates(
    location_id: str,
    body: Coordinates,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Say where a registered location lies, or correct it; the same again records nothing."""
    command = SetLocationCoordinates(location_id=location_id, **body.model_dump())
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await reference.set_coordinates(services, user, now, command, command_id)
    return decision(outcome, response)


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
    outcome = await reference.define_item(services, user, now, requests.item(body))
    repeated(outcome, response)
    return ItemPublic(id=body.id, position=outcome.position, **body.model_dump(exclude={"id"}))


@router.get("/items", response_model=ItemList)
async def list_items(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, page: PageOf
) -> ItemList:
    """All defined items."""
    found = await reference.list_items(services, user, page)
    return ItemList(items=[item_public(r) for r in found.items], next=found.next)
