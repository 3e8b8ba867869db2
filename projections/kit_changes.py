"""What assembling and breaking up kits does to lots and to the stock card: a line for each
component lot consumed or given back, and one for the kit lot.

A component line carries its lot's donation: the donor's goods leave (or come back to) the
location's stock of that item, and the donor trace follows them into the kit lot instead
(`kit_writer`).
"""

from __future__ import annotations

from events.kits import KitsAssembled, KitsDisassembled
from projections.inventory import LotChange, LotKey, lot_changes


@lot_changes.register
def _(event: KitsAssembled) -> list[LotChange]:
    why = f"into kit {event.kit_item_id}"  # the reason column holds 120 characters
    consumed = [
        LotChange(
            LotKey(event.location_id, ln.item_id, ln.lot), ln.expires_on, -ln.quantity,
            event.assembly_id, why, ln.donation_id,
        )
        for ln in event.components
    ]  # fmt: skip
    kit = LotKey(event.location_id, event.kit_item_id, event.lot)
    made = f"assembled, composition v{event.composition_version}"
    return [*consumed, LotChange(kit, event.expires_on, event.quantity, event.assembly_id, made)]


@lot_changes.register
def _(event: KitsDisassembled) -> list[LotChange]:
    kit = LotKey(event.location_id, event.kit_item_id, event.lot)
    why = f"from kit {event.kit_item_id}"
    given_back = [
        LotChange(
            LotKey(event.location_id, ln.item_id, ln.lot), ln.expires_on, ln.quantity,
            event.disassembly_id, why, ln.donation_id,
        )
        for ln in event.components
    ]  # fmt: skip
    broken = LotChange(kit, event.expires_on, -event.quantity, event.disassembly_id, "broken up")
    return [broken, *given_back]
