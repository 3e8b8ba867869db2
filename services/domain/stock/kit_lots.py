"""What a kit lot assembled here holds: the component lots still inside its kits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from events.kits import ComponentLine


@dataclass(frozen=True)
class KitContents:
    """Per kit, `per_kit[item]` units of each component; `lines` the component lots (with
    quantities) inside the kits of the lot not yet broken up."""

    per_kit: Mapping[str, int] = field(default_factory=dict)
    lines: tuple[ComponentLine, ...] = ()

    def plus(self, per_kit: Mapping[str, int], lines: Iterable[ComponentLine]) -> KitContents:
        return KitContents({**self.per_kit, **per_kit}, _moved(self.lines, lines, 1))

    def minus(self, lines: Iterable[ComponentLine]) -> KitContents:
        return KitContents(self.per_kit, _moved(self.lines, lines, -1))


def _moved(
    held: tuple[ComponentLine, ...], lines: Iterable[ComponentLine], sign: int
) -> tuple[ComponentLine, ...]:
    """The lots held after `lines` went in (sign 1) or out (-1), one line per (item, lot)."""
    totals = {(line.item_id, line.lot): line for line in held}
    for line in lines:
        key = (line.item_id, line.lot)
        before = totals[key].quantity if key in totals else 0
        totals[key] = line.model_copy(update={"quantity": before + sign * line.quantity})
    return tuple(line for line in totals.values() if line.quantity > 0)
