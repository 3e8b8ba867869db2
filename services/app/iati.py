"""A donor's transactions in the manner of the IATI Standard's `transaction` element, as a
table the API streams as CSV: the first row names each column, the second gives the IATI
element or attribute it carries (`x-` for columns of ours that IATI has no place for).

IATI transaction types used: 11 Incoming Commitment (a pledge), 1 Incoming Funds (cash
received, and goods received in kind: IATI has no type of its own for gifts in kind, so they
are incoming resources with the `x-in-kind` flag, their item and quantity, and no value, as
donated goods are not priced here), 4 Expenditure (a purchase paid with a cash donation).
No household data: the rows stop at the purchase and the receipt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from events.money import to_decimal
from projections import pledges_queries, report_queries
from services.app.permissions import Scope, User, authorize
from services.app.ports import Ports
from services.app.reports import Table

IATI = (
    ("Reference", "transaction/@ref"),
    ("Type code", "transaction-type/@code"),
    ("Type", "transaction-type/narrative"),
    ("Date", "transaction-date/@iso-date"),
    ("Value", "value"),
    ("Currency", "value/@currency"),
    ("Provider", "provider-org/@ref"),
    ("Provider name", "provider-org/narrative"),
    ("Receiver", "receiver-org/narrative"),
    ("Description", "description/narrative"),
    ("In kind", "x-in-kind"),
    ("Item", "x-item"),
    ("Quantity", "x-quantity"),
    ("Due", "x-due-date"),
    ("Pledge", "x-pledge-ref"),
    ("Cash donation", "x-funds-ref"),
)  # fmt: skip
TYPES = {11: "Incoming Commitment", 1: "Incoming Funds", 4: "Expenditure"}


def _row(code: int, ref: str, when: Any, **cells: Any) -> list[Any]:
    values = {"Reference": ref, "Type code": code, "Type": TYPES[code], "Date": when.date()}
    values |= {k.replace("_", " ").capitalize(): v for k, v in cells.items()}
    return [values.get(header, "") for header, _ in IATI]


def _money(row: Any, field: str = "amount") -> dict[str, Any]:
    amount = getattr(row, field)
    return {"value": to_decimal(amount, row.currency), "currency": row.currency}


def _rows(ports: Ports, donor_ids: list[str] | None) -> Iterator[list[Any]]:
    engine, us = ports.engine, ports.settings.organisation
    donors = pledges_queries.donor_names(engine)
    items = report_queries.item_names(engine)

    def given(r: Any) -> dict[str, Any]:
        return {"provider": r.donor_id, "provider_name": donors.get(r.donor_id, ""),
                "receiver": us}  # fmt: skip

    for p in pledges_queries.commitments(engine, donor_ids):
        kind = {"in_kind": 1, "item": p.item_id, "quantity": p.pledged}
        terms = _money(p, "pledged") if p.currency else kind
        note = "Pledge" + (" (cancelled)" if p.cancelled_at else "")
        yield _row(11, p.pledge_id, p.made_at, **given(p), **terms, due=p.due_on,
                   description=note)  # fmt: skip
    for c in pledges_queries.cash_received(engine, donor_ids):
        yield _row(1, c.donation_id, c.received_at, **given(c), **_money(c),
                   pledge=c.pledge_id or "", description="Cash donation")  # fmt: skip
    for d in pledges_queries.goods_received(engine, donor_ids):
        name = items.get(d.item_id, d.item_id)
        yield _row(1, d.donation_id, d.received_at, **given(d), in_kind=1,
                   item=d.item_id, quantity=d.quantity, pledge=d.pledge_id or "",
                   description=f"Donation in kind: {name}")  # fmt: skip
    for b in pledges_queries.expenditures(engine, donor_ids):
        name = items.get(b.item_id, b.item_id)
        yield _row(4, b.purchase_id, b.purchased_at, provider="", provider_name=us,
                   receiver=b.supplier, **_money(b), item=b.item_id,
                   quantity=b.quantity, cash_donation=b.donation_id,
                   description=f"Purchase: {name}")  # fmt: skip


async def iati_transactions(ports: Ports, user: User, donor_id: str | None) -> Table:
    """Commitments, incoming funds, gifts in kind and expenditures, of one donor or all (a
    donor: its own)."""
    scope = authorize(user, "pledges.read", donor_id=donor_id)
    donor_ids = [donor_id] if donor_id else None
    if scope is Scope.DONOR and donor_ids is None:
        donor_ids = sorted(user.donors)
    return Table(IATI, _rows(ports, donor_ids), "iati.csv")
