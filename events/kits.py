"""Kits: an item made of other items (a Ramadan food basket), its versioned composition,
and the assembly and disassembly of kit lots at a warehouse."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from events.base import Event, Identifier, PositiveQuantity


class KitComponent(BaseModel):
    """`quantity` base units of `item_id` go into one kit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: Identifier
    quantity: PositiveQuantity


class KitCompositionSet(Event):
    """Version `version` of what one kit holds; earlier versions stay as they were, so kits
    already assembled keep the recipe they were made with."""

    TYPE = "KitCompositionSet"
    STREAM = "reference"

    kit_item_id: Identifier
    version: PositiveQuantity
    components: list[KitComponent] = Field(min_length=1, max_length=50)

    @property
    def aggregate_id(self) -> str:
        return self.kit_item_id


class ComponentLine(BaseModel):
    """A quantity of one component lot going into, or coming out of, kits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: Identifier
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None
    donation_id: Identifier | None = None
    quantity: PositiveQuantity


class KitsAssembled(Event):
    """`quantity` kits were assembled into lot `lot` from the component lots in `components`
    (taken FEFO); the kit lot expires with the earliest of them."""

    TYPE = "KitsAssembled"
    STREAM = "stock"

    assembly_id: Identifier
    location_id: Identifier
    kit_item_id: Identifier
    composition_version: PositiveQuantity
    quantity: PositiveQuantity
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None
    components: list[ComponentLine] = Field(min_length=1)

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class KitsDisassembled(Event):
    """`quantity` kits of lot `lot` were broken back into the component lots they held."""

    TYPE = "KitsDisassembled"
    STREAM = "stock"

    disassembly_id: Identifier
    location_id: Identifier
    kit_item_id: Identifier
    quantity: PositiveQuantity
    lot: str = Field(min_length=1, max_length=64)
    expires_on: date | None = None
    components: list[ComponentLine] = Field(min_length=1)

    @property
    def aggregate_id(self) -> str:
        return self.location_id
