"""Kits: a basket's composition, baskets assembled from bulk stock and broken up again,
and how many baskets the stock can make."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from api.answers import decision, repeated
from api.deps import CurrentUser, IdempotencyKey, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.kits import (
    AssemblyCreate,
    AssemblyPreview,
    Component,
    CompositionCreate,
    CompositionPublic,
    KitsPossible,
    KitsPossibleList,
    KitTotal,
)
from api.schemas.stock import Decision
from events.kits import KitComponent
from services.app import kits
from services.app.kits import Assembly

router = Router(prefix="/v1", tags=["kits"])


@router.post("/items/{item_id}/composition", status_code=201, response_model=CompositionPublic)
async def set_composition(
    item_id: str,
    body: CompositionCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CompositionPublic:
    """Make an item a kit of these components: a new version, earlier kits keep theirs."""
    components = [KitComponent(**c.model_dump()) for c in body.components]
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await kits.set_composition(services, user, now, item_id, components, command_id)
    repeated(outcome, response)
    version = outcome.events[0]["data"]["version"] if outcome.events else None
    return CompositionPublic(
        kit_item_id=item_id,
        version=version,
        components=[Component(**c.model_dump()) for c in components],
        position=outcome.position,
    )


@router.get("/items/{item_id}/composition", response_model=CompositionPublic)
async def composition(
    item_id: str, services: ServicesDep, user: CurrentUser, _: ReadAfter
) -> CompositionPublic:
    """A kit's current composition: its components in base units per kit."""
    found = await kits.composition(services, user, item_id)
    return CompositionPublic(**found)


@router.post("/stock/assemblies", status_code=201, response_model=Decision)
async def assemble_kits(
    body: AssemblyCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Assemble kits at a warehouse from its component lots, first expiring first; the kit
    lot expires with the earliest of them. 409 names each short component."""
    asked = Assembly(body.id or idempotency_key or str(uuid.uuid4()),
                     **body.model_dump(exclude={"id"}))  # fmt: skip
    return decision(await kits.assemble_kits(services, user, now, asked), response)


@router.get(
    "/stock/assemblies/preview",
    response_model=AssemblyPreview,
    responses={409: {"description": "Components short: `short` names each, with what it "
                     "needs and has; `possible` is how many kits the stock allows."}},
)  # fmt: skip
async def preview_assembly(
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    _: ReadAfter,
    location_id: str,
    kit_item_id: str,
    quantity: Annotated[int, Query(gt=0, lt=10**9, description="Kits to assemble.")],
) -> AssemblyPreview:
    """The component lots an assembly of `quantity` kits would take now, in the order and
    amounts the warehouse's writer takes them: first expiring first, never expired lots.
    Nothing is recorded. 409 when components are short, as the assembly would be refused;
    403 for a warehouse the caller may not assemble at; 422 for an unknown kit or warehouse.
    Stock moving between the preview and the assembly changes what the assembly takes."""
    found = await kits.assembly_preview(
        services, user, now.date(), location_id, kit_item_id, quantity
    )
    return AssemblyPreview(**found)


@router.post("/stock/disassemblies", status_code=201, response_model=Decision)
async def disassemble_kits(
    body: AssemblyCreate,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decision:
    """Break kits back into the component lots they were assembled from."""
    asked = Assembly(body.id or idempotency_key or str(uuid.uuid4()),
                     **body.model_dump(exclude={"id"}))  # fmt: skip
    return decision(await kits.disassemble_kits(services, user, now, asked), response)


@router.get("/inventory/kits", response_model=KitsPossibleList)
async def kits_possible(
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    _: ReadAfter,
    page: PageOf,
    location_id: str | None = None,
    kit_item_id: str | None = None,
) -> KitsPossibleList:
    """How many kits the stock can make, per warehouse and in total, and which component
    limits each (expired lots do not count)."""
    found, totals = await kits.kits_possible(
        services, user, now.date(), location_id, kit_item_id, page
    )
    return KitsPossibleList(
        items=[KitsPossible(**r) for r in found.items],
        totals=[KitTotal(**t) for t in totals],
        next=found.next,
    )
