"""Pledges with what is outstanding or over, cash donations and their purchases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, select

from projections.paging import EVERYTHING, Page, Paging, Sort, read_page
from projections.queries import fetch_all, stream_all
from projections.tables import cash_donations, donations, donors, pledges, purchases

Row = dict[str, Any]


def with_standing(row: Row) -> Row:
    """A pledge row with `outstanding`, `over` and `status` (as its writer folds them)."""
    cancelled = row["cancelled_at"] is not None
    pledged, received = row["pledged"], row["received"]
    outstanding = 0 if cancelled else max(0, pledged - received)
    status = "fulfilled" if received >= pledged else "cancelled" if cancelled else "open"
    kind = "goods" if row["item_id"] is not None else "money"
    over = max(0, received - pledged)
    return row | {"kind": kind, "outstanding": outstanding, "over": over, "status": status}


def pledges_of(
    engine: Engine,
    donor_ids: list[str] | None,
    overdue_on: date | None = None,
    paging: Paging = EVERYTHING,
) -> Page:
    """Pledges, the soonest due first; with `overdue_on`, only those due before that day
    with something still outstanding."""
    p = pledges
    stmt = select(p)
    if donor_ids is not None:
        stmt = stmt.where(p.c.donor_id.in_(donor_ids))
    if overdue_on is not None:
        stmt = stmt.where(
            and_(p.c.due_on < overdue_on, p.c.cancelled_at.is_(None), p.c.received < p.c.pledged)
        )
    order = [Sort(p.c.due_on, "due_on"), Sort(p.c.pledge_id, "pledge_id")]
    page = read_page(engine, stmt, order, paging)
    return Page([with_standing(r) for r in page.items], page.next)


def pledge(engine: Engine, pledge_id: str) -> Row | None:
    rows = fetch_all(engine, select(pledges).where(pledges.c.pledge_id == pledge_id))
    return with_standing(rows[0]) if rows else None


def cash_donation(engine: Engine, donation_id: str) -> Row | None:
    c = cash_donations
    rows = fetch_all(engine, select(c).where(c.c.donation_id == donation_id))
    return rows[0] | {"remaining": rows[0]["amount"] - rows[0]["spent"]} if rows else None


def cash_donations_of(
    engine: Engine, donor_ids: list[str] | None, paging: Paging = EVERYTHING
) -> Page:
    """Cash donations (of these donors, or all), the latest received first."""
    c = cash_donations
    stmt = select(c).where(_of(c.c.donor_id, donor_ids))
    latest_first = [
        Sort(c.c.received_at, "received_at", descending=True),
        Sort(c.c.donation_id, "donation_id", descending=True),
    ]
    return read_page(engine, stmt, latest_first, paging)


def gifts_of_pledge(engine: Engine, pledge_id: str) -> list[tuple[Row, bool]]:
    """The donations fulfilling a pledge, goods then cash, each with whether it is cash."""
    goods = fetch_all(
        engine, select(donations).where(donations.c.pledge_id == pledge_id).order_by("donation_id")
    )
    c = cash_donations
    cash = fetch_all(engine, select(c).where(c.c.pledge_id == pledge_id).order_by("donation_id"))
    return [(g, False) for g in goods] + [(m, True) for m in cash]


def purchases_of(engine: Engine, donation_id: str) -> list[Row]:
    p = purchases
    stmt = select(p).where(p.c.donation_id == donation_id).order_by(p.c.purchased_at)
    return fetch_all(engine, stmt)


def _of(column: Any, donor_ids: list[str] | None) -> Any:
    return column.in_(donor_ids) if donor_ids is not None else column.is_not(None)


def commitments(engine: Engine, donor_ids: list[str] | None) -> Iterator[Any]:
    p = pledges
    stmt = select(p).where(_of(p.c.donor_id, donor_ids)).order_by(p.c.made_at, p.c.pledge_id)
    return stream_all(engine, stmt)


def cash_received(engine: Engine, donor_ids: list[str] | None) -> Iterator[Any]:
    c = cash_donations
    order = (c.c.received_at, c.c.donation_id)
    return stream_all(engine, select(c).where(_of(c.c.donor_id, donor_ids)).order_by(*order))


def goods_received(engine: Engine, donor_ids: list[str] | None) -> Iterator[Any]:
    d = donations
    order = (d.c.received_at, d.c.donation_id)
    return stream_all(engine, select(d).where(_of(d.c.donor_id, donor_ids)).order_by(*order))


def expenditures(engine: Engine, donor_ids: list[str] | None) -> Iterator[Any]:
    """Purchases, each with the donor whose cash paid for it."""
    p, c = purchases, cash_donations
    stmt = (
        select(p, c.c.donor_id)
        .join(c, c.c.donation_id == p.c.donation_id)
        .where(_of(c.c.donor_id, donor_ids))
        .order_by(p.c.purchased_at, p.c.purchase_id)
    )
    return stream_all(engine, stmt)


def donor_names(engine: Engine) -> dict[str, str]:
    return {r["donor_id"]: r["name"] for r in fetch_all(engine, select(donors))}
