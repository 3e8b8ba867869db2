"""The supplying warehouse of the requisition stories: Marrakech, with Ramadan baskets and
flour, and Amizmiz, the site that asks for them."""

from __future__ import annotations

from datetime import datetime

from events import Actor
from services.domain.stock.commands import ReceiveStock
from tests.support.fakes import InProcessCommandBus

MARRAKECH, AMIZMIZ = "wh-marrakech", "site-amizmiz"
BASKETS, FLOUR = "ramadan-basket", "flour-25kg"
OPERATOR = Actor(user_id="youssef.operator", role="operator")


def stock_marrakech(bus: InProcessCommandBus, baskets: int, at: datetime) -> None:
    """`baskets` Ramadan baskets (lot ATL-2026-A) and 50 sacks of flour (FL-1) received."""
    for item, quantity, lot in ((BASKETS, baskets, "ATL-2026-A"), (FLOUR, 50, "FL-1")):
        receipt = ReceiveStock(
            receipt_id=f"rcpt-{item}", location_id=MARRAKECH, item_id=item, quantity=quantity,
            lot=lot,
        )  # fmt: skip
        assert bus.decide(receipt, f"rcpt-{item}", OPERATOR, at).status == "accepted"
