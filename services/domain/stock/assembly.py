"""Kits assembled from component lots and broken up again, each one atomic decision of the
location's single writer. Registers on the stock decider's `decide` and `evolve`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from events import Event
from events.kits import ComponentLine, KitComponent, KitsAssembled, KitsDisassembled
from services.domain.decisions import Refused, Rejected
from services.domain.stock.decider import decide
from services.domain.stock.fefo import fefo
from services.domain.stock.kit_commands import AssembleKits, DisassembleKits
from services.domain.stock.kit_lots import KitContents
from services.domain.stock.picking import pick
from services.domain.stock.state import LocationStock, Lot, evolve, moved


@decide.register
def _(state: LocationStock, command: AssembleKits, now: datetime) -> list[Event]:
    """Components FEFO (never expired ones); refused, naming every short component and how
    many kits the stock allows, unless all of them are there."""
    items = [c.item_id for c in command.components]
    if command.kit_item_id in items or len(set(items)) != len(items):
        raise Rejected(
            "invalid_composition",
            "a kit holds each component once, and never itself",
            field="components",
        )
    lot = command.lot or command.assembly_id
    if state.lot(command.kit_item_id, lot) is not None:
        raise Rejected(
            "lot_exists",
            f"lot {lot!r} of {command.kit_item_id!r} already exists here; name a new lot",
            field="lot",
        )
    lines = components_taken(state, command.components, command.quantity, now.date())
    expiries = [ln.expires_on for ln in lines if ln.expires_on is not None]
    return [
        KitsAssembled(
            assembly_id=command.assembly_id,
            location_id=command.location_id,
            kit_item_id=command.kit_item_id,
            composition_version=command.composition_version,
            quantity=command.quantity,
            lot=lot,
            expires_on=min(expiries, default=None),
            components=lines,
        )
    ]


def usable(state: LocationStock, item_id: str, today: date) -> int:
    """Units of an item that can go into kits today: on hand in lots not yet expired."""
    return sum(
        lt.on_hand for lt in state.lots_of(item_id) if not lt.expires_on or lt.expires_on >= today
    )


def components_taken(
    state: LocationStock, components: Sequence[KitComponent], quantity: int, today: date
) -> list[ComponentLine]:
    """The component lots `quantity` kits take and how much of each: FEFO, never expired
    lots; refused, naming every short component and how many kits the stock allows, unless
    all of them are there. The writer assembles with it; the assembly form previews with it."""
    _short_components(state, components, quantity, today)
    return [
        _line(picked, qty)
        for c in components
        for picked, qty in pick(state, c.item_id, c.quantity * quantity, None, today,
                                allow_expired=False)
    ]  # fmt: skip


def _short_components(
    state: LocationStock, components: Sequence[KitComponent], quantity: int, today: date
) -> None:
    available = {c.item_id: usable(state, c.item_id, today) for c in components}
    short = [
        {"item_id": c.item_id, "needed": c.quantity * quantity,
         "available": available[c.item_id]}
        for c in components
        if c.quantity * quantity > available[c.item_id]
    ]  # fmt: skip
    if not short:
        return
    possible = min(available[c.item_id] // c.quantity for c in components)
    named = ", ".join(f"{s['item_id']} (needs {s['needed']}, has {s['available']})" for s in short)
    raise Refused(
        "insufficient_components",
        f"not enough components for {quantity} kits: {named}; the stock here allows {possible}",
        short=short,
        possible=possible,
    )


def _line(lot: Lot, quantity: int) -> ComponentLine:
    return ComponentLine(
        item_id=lot.item_id,
        lot=lot.lot,
        expires_on=lot.expires_on,
        donation_id=lot.donation_id,
        quantity=quantity,
    )


@decide.register
def _(state: LocationStock, command: DisassembleKits, now: datetime) -> list[Event]:
    """Kits of the named lot (or of the kit's lots FEFO) back into the component lots
    recorded for them when they were assembled here."""
    kits = pick(state, command.kit_item_id, command.quantity, command.lot, now.date(),
                allow_expired=True)  # fmt: skip
    events: list[Event] = []
    for kit_lot, count in kits:
        contents = state.kit_contents.get((command.kit_item_id, kit_lot.lot), KitContents())
        events.append(
            KitsDisassembled(
                disassembly_id=command.disassembly_id,
                location_id=command.location_id,
                kit_item_id=command.kit_item_id,
                quantity=count,
                lot=kit_lot.lot,
                expires_on=kit_lot.expires_on,
                components=_taken_back(contents, kit_lot, count),
            )
        )
    return events


def _taken_back(contents: KitContents, kit_lot: Lot, count: int) -> list[ComponentLine]:
    """`count` kits' worth of each component, from the recorded component lots FEFO."""
    back: list[ComponentLine] = []
    short = not contents.per_kit
    for item_id, per_kit in contents.per_kit.items():
        wanted = per_kit * count
        for line in fefo(ln for ln in contents.lines if ln.item_id == item_id):
            taken = min(line.quantity, wanted)
            if taken:
                back.append(line.model_copy(update={"quantity": taken}))
                wanted -= taken
        short = short or wanted > 0
    if short:
        raise Refused(
            "kit_contents_unknown",
            f"kits of lot {kit_lot.lot!r} were not assembled here (or not that many):"
            " their components are not known at this location",
            lot=kit_lot.lot,
        )
    return back


@evolve.register
def _(state: LocationStock, event: KitsAssembled) -> LocationStock:
    for line in event.components:
        state = moved(state, line.item_id, line.lot, -line.quantity)
    state = moved(state, event.kit_item_id, event.lot, event.quantity, event.expires_on)
    key = (event.kit_item_id, event.lot)
    per_kit = {
        item: sum(ln.quantity for ln in event.components if ln.item_id == item) // event.quantity
        for item in dict.fromkeys(ln.item_id for ln in event.components)
    }
    contents = state.kit_contents.get(key, KitContents()).plus(per_kit, event.components)
    return replace(state, kit_contents={**state.kit_contents, key: contents})


@evolve.register
def _(state: LocationStock, event: KitsDisassembled) -> LocationStock:
    state = moved(state, event.kit_item_id, event.lot, -event.quantity)
    for line in event.components:
        state = moved(
            state, line.item_id, line.lot, line.quantity, line.expires_on, line.donation_id
        )
    key = (event.kit_item_id, event.lot)
    contents = state.kit_contents.get(key, KitContents()).minus(event.components)
    return replace(state, kit_contents={**state.kit_contents, key: contents})
