"""Kits: compositions, assemblies and disassemblies, and how many kits the stock makes."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from api.schemas.common import NEXT, Body, ClientId, Quantity, Written


class ComponentCreate(Body):
    item_id: ClientId
    quantity: Quantity = Field(description="Base units of the item in one kit.")


class CompositionCreate(Body):
    components: list[ComponentCreate] = Field(min_length=1, max_length=50)


class Component(BaseModel):
    item_id: str
    quantity: int


class CompositionPublic(Written):
    kit_item_id: str
    version: int | None = Field(description="The version now current (null: not yet read).")
    components: list[Component]


class AssemblyCreate(Body):
    id: ClientId | None = Field(default=None, description="Defaults to Idempotency-Key.")
    location_id: ClientId
    kit_item_id: ClientId
    quantity: Quantity
    lot: str | None = Field(
        default=None, min_length=1, max_length=64,
        description="Assembly: the new kit lot (defaults to the id). Disassembly: the kit lot"
        " to break up (defaults to the kit's lots, first expiring first).",
    )  # fmt: skip


class KitComponentStock(BaseModel):
    item_id: str
    per_kit: int
    available: int


class KitsPossible(BaseModel):
    location_id: str
    kit_item_id: str
    composition_version: int
    on_hand: int = Field(description="Kits already assembled there, not expired.")
    possible: int = Field(description="Kits the components there (not expired) make.")
    limited_by: str
    components: list[KitComponentStock]


class KitTotal(BaseModel):
    kit_item_id: str
    on_hand: int
    possible: int


class KitsPossibleList(BaseModel):
    items: list[KitsPossible]
    totals: list[KitTotal] = Field(description="Per kit, over every location listed.")
    next: str | None = Field(default=None, description=NEXT)


class LotTaken(BaseModel):
    lot: str
    expires_on: date | None
    quantity: int = Field(description="Units the assembly would take from this lot.")


class ComponentTaken(BaseModel):
    item_id: str
    per_kit: int
    needed: int = Field(description="Units of the component the kits need in all.")
    lots: list[LotTaken] = Field(description="The lots it comes from, in the order taken.")


class AssemblyPreview(BaseModel):
    """What an assembly of `quantity` kits would take now, lot by lot."""

    location_id: str
    kit_item_id: str
    composition_version: int
    quantity: int
    expires_on: date | None = Field(description="When the kit lot would expire.")
    components: list[ComponentTaken]
