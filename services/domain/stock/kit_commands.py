"""What can be asked of a location's kits: assemble them from components, break them up."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from events.base import Identifier, PositiveQuantity
from events.kits import KitComponent
from services.domain.commands import Command

LotCode = Annotated[str, Field(min_length=1, max_length=64)]


class AssembleKits(Command):
    """`components` and `composition_version` are the kit's current composition (from the
    reference read model), so the writer decides on the recipe the operator saw."""

    TYPE = "AssembleKits"
    STREAM = "stock-commands"

    assembly_id: Identifier
    location_id: Identifier
    kit_item_id: Identifier
    quantity: PositiveQuantity
    lot: LotCode | None = None
    composition_version: PositiveQuantity
    components: list[KitComponent] = Field(min_length=1, max_length=50)

    @property
    def aggregate_id(self) -> str:
        return self.location_id


class DisassembleKits(Command):
    """Break kits back into the component lots they were assembled from (one lot, or the
    kit's lots FEFO)."""

    TYPE = "DisassembleKits"
    STREAM = "stock-commands"

    disassembly_id: Identifier
    location_id: Identifier
    kit_item_id: Identifier
    quantity: PositiveQuantity
    lot: LotCode | None = None

    @property
    def aggregate_id(self) -> str:
        return self.location_id


KIT_COMMANDS: dict[str, type[Command]] = {c.TYPE: c for c in (AssembleKits, DisassembleKits)}
