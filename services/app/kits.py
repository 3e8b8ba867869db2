"""Kits: a basket's composition, assembling baskets from bulk stock and breaking them up,
and how many the stock can make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from events.kits import KitComponent
from projections import households_queries, kit_queries, queries
from projections.paging import EVERYTHING, Page, Paging
from services.app.errors import Conflict, Invalid, NotFound
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, known, seen
from services.app.sending import Outcome, decide, register
from services.domain.decisions import Refused, Rejected
from services.domain.reference.decider import SetKitComposition
from services.domain.stock.assembly import components_taken
from services.domain.stock.kit_commands import AssembleKits, DisassembleKits
from services.domain.stock.state import LocationStock, Lot


async def set_composition(
    ports: Ports,
    user: User,
    now: datetime,
    kit_item_id: str,
    components: list[KitComponent],
    command_id: str,
) -> Outcome:
    """Record a new version of a kit's composition (the same components again: nothing new)."""
    authorize(user, "reference.write")
    await known(ports, queries.item, kit_item_id, "kit_item_id", "item")
    for component in components:
        await known(ports, queries.item, component.item_id, "components.item_id", "item")
        if await in_thread(kit_queries.composition, ports.engine, component.item_id):
            raise Invalid(f"{component.item_id!r} is a kit: a kit holds no kits",
                          field="components.item_id")  # fmt: skip
    holders = await in_thread(kit_queries.kits_holding, ports.engine, kit_item_id)
    if holders:
        raise Invalid(f"{kit_item_id!r} goes into {holders[0]!r}: a kit holds no kits",
                      field="kit_item_id")  # fmt: skip
    command = SetKitComposition(kit_item_id=kit_item_id, components=components)
    return await register(ports, command, command_id, user, now)


async def composition(ports: Ports, user: User, kit_item_id: str) -> dict[str, Any]:
    """A kit's current composition, or NotFound when the item is not a kit."""
    authorize(user, "reference.read")
    found = await _composition(ports, kit_item_id)
    if found is None:
        raise NotFound(f"{kit_item_id!r} is not a kit: set its composition first",
                       error="not_a_kit")  # fmt: skip
    return found


async def compositions(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """Every kit's current composition, by kit."""
    authorize(user, "reference.read")
    return await in_thread(kit_queries.compositions, ports.engine, paging)


async def _composition(ports: Ports, kit_item_id: str) -> dict[str, Any] | None:
    """The current composition, after this process's own writes to reference data."""
    return await seen(ports, "reference", kit_queries.composition, kit_item_id)


@dataclass(frozen=True)
class Assembly:
    """What an operator asks: `quantity` kits at a warehouse, into lot `lot` (or the id)."""

    id: str
    location_id: str
    kit_item_id: str
    quantity: int
    lot: str | None = None


async def assemble_kits(ports: Ports, user: User, now: datetime, asked: Assembly) -> Outcome:
    """Assemble kits from the warehouse's component lots (FEFO), on the current composition."""
    authorize(user, "stock.write", location_id=asked.location_id)
    await _warehouse(ports, asked.location_id)
    recipe = await _composition(ports, asked.kit_item_id)
    if recipe is None:
        raise Invalid(f"{asked.kit_item_id!r} is not a kit: set its composition first",
                      field="kit_item_id")  # fmt: skip
    command = AssembleKits(
        assembly_id=asked.id,
        location_id=asked.location_id,
        kit_item_id=asked.kit_item_id,
        quantity=asked.quantity,
        lot=asked.lot,
        composition_version=recipe["version"],
        components=[KitComponent(**c) for c in recipe["components"]],
    )
    return Outcome.of(asked.id, await decide(ports, command, asked.id, user, now))


async def assembly_preview(
    ports: Ports, user: User, today: date, location_id: str, kit_item_id: str, quantity: int
) -> dict[str, Any]:
    """The component lots an assembly of `quantity` kits would take today, in the order and
    amounts the warehouse's writer takes them (its own FEFO, on the read model's lots);
    refused (Conflict) as the assembly would be, naming each short component and how many
    kits the stock allows. Who may assemble there may look."""
    authorize(user, "stock.write", location_id=location_id)
    if not 0 < quantity < 10**9:
        raise Invalid("quantity: a whole number of kits from 1 to 999999999", field="quantity")
    await _warehouse(ports, location_id)
    recipe = await _composition(ports, kit_item_id)
    if recipe is None:
        raise Invalid(f"{kit_item_id!r} is not a kit: set its composition first",
                      field="kit_item_id")  # fmt: skip
    components = [KitComponent(**c) for c in recipe["components"]]
    found = await in_thread(
        kit_queries.lots_at, ports.engine, location_id, [c.item_id for c in components]
    )
    lots = [Lot(r["item_id"], r["lot"], r["expires_on"], None, int(r["on_hand"])) for r in found]
    try:
        lines = components_taken(LocationStock.holding(lots), components, quantity, today)
    except Refused as refused:
        raise Conflict(refused.message, error=refused.code, **refused.details) from None
    except Rejected as rejected:
        raise Invalid(rejected.message, **rejected.details) from None
    expiries = [ln.expires_on for ln in lines if ln.expires_on is not None]
    return {
        "location_id": location_id,
        "kit_item_id": kit_item_id,
        "composition_version": recipe["version"],
        "quantity": quantity,
        "expires_on": min(expiries, default=None),
        "components": [
            {"item_id": c.item_id, "per_kit": c.quantity, "needed": c.quantity * quantity,
             "lots": [{"lot": ln.lot, "expires_on": ln.expires_on, "quantity": ln.quantity}
                      for ln in lines if ln.item_id == c.item_id]}
            for c in components
        ],
    }  # fmt: skip


async def disassemble_kits(ports: Ports, user: User, now: datetime, asked: Assembly) -> Outcome:
    """Break kits back into the component lots they were assembled from."""
    authorize(user, "stock.write", location_id=asked.location_id)
    await _warehouse(ports, asked.location_id)
    await known(ports, queries.item, asked.kit_item_id, "kit_item_id", "item")
    command = DisassembleKits(
        disassembly_id=asked.id,
        location_id=asked.location_id,
        kit_item_id=asked.kit_item_id,
        quantity=asked.quantity,
        lot=asked.lot,
    )
    return Outcome.of(asked.id, await decide(ports, command, asked.id, user, now))


async def _warehouse(ports: Ports, location_id: str) -> None:
    location = await known(ports, queries.location, location_id, "location_id", "location")
    if location["kind"] != "warehouse":
        raise Invalid(f"{location_id!r} is a {location['kind']}: kits are assembled and"
                      " broken up in warehouses", field="location_id")  # fmt: skip


async def kits_possible(
    ports: Ports,
    user: User,
    today: date,
    location_id: str | None = None,
    kit_item_id: str | None = None,
    paging: Paging = EVERYTHING,
) -> tuple[Page, list[dict[str, Any]]]:
    """Per warehouse and in total, how many kits the usable stock makes and what limits it."""
    allowed = user.locations_for(authorize(user, "stock.read", location_id=location_id))
    if location_id is not None:
        location_ids = [location_id]
    else:
        location_ids = await in_thread(kit_queries.warehouses, ports.engine, allowed)
    return await in_thread(
        kit_queries.kits_possible, ports.engine, today, location_ids, kit_item_id, paging
    )


async def campaign_needs(ports: Ports, user: User, today: date) -> list[dict[str, Any]]:
    """Per campaign still running (or yet to start) that gives a kit: the quantity still due
    (what its eligible households are entitled to, less what was handed; never below 0),
    beside the kits of that item on hand plus those the stock can make, in total over the
    user's warehouses, and the shortfall when they are not enough."""
    authorize(user, "registry.read")
    _, totals = await kits_possible(ports, user, today)
    ready = {t["kit_item_id"]: t["on_hand"] + t["possible"] for t in totals}
    kit_ids = {c["kit_item_id"] for c in await in_thread(kit_queries.current_compositions,
                                                          ports.engine)}  # fmt: skip
    needs = []
    for campaign in await in_thread(households_queries.campaigns_due, ports.engine, today):
        if campaign["item_id"] not in kit_ids:
            continue
        due = max(campaign["entitled_quantity"] - campaign["quantity"], 0)
        kits = ready.get(campaign["item_id"], 0)
        needs.append(campaign | {"due": due, "ready": kits, "shortfall": max(due - kits, 0)})
    return needs
