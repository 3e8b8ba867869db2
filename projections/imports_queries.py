"""Where each household import stands, kept in the read-model database: counts, and the
lines refused with reason codes. Nothing of a person is stored here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select, update

from projections.paging import Page, Paging, Sort, read_page
from projections.queries import fetch_all, fetch_one
from projections.sql import upsert
from projections.tables import household_import_refusals, household_imports, locations

COUNTS = ("lines_read", "registered", "updated", "unchanged", "refused")


def areas(engine: Engine) -> dict[str, frozenset[str]]:
    """The regions the reference data knows (from its locations), each with its provinces."""
    loc = locations
    rows = fetch_all(engine, select(loc.c.region_code, loc.c.province_code).distinct())
    known: dict[str, set[str]] = {}
    for row in rows:
        provinces = known.setdefault(row["region_code"], set())
        if row["province_code"]:
            provinces.add(row["province_code"])
    return {region: frozenset(provinces) for region, provinces in known.items()}


def sites(engine: Engine) -> dict[str, str]:
    """The distribution sites the reference data knows, each with its region."""
    loc = locations
    stmt = select(loc.c.location_id, loc.c.region_code).where(loc.c.kind == "site")
    return {row["location_id"]: row["region_code"] for row in fetch_all(engine, stmt)}


def start(engine: Engine, import_id: str, dry_run: bool, by: str, at: datetime) -> None:
    """Begin (or begin again, from the first line) the import: counts at zero, no refusals."""
    row = {"import_id": import_id, "dry_run": dry_run, "status": "running", "started_by": by,
           "started_at": at, "updated_at": at} | dict.fromkeys(COUNTS, 0)  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            delete(household_import_refusals).where(
                household_import_refusals.c.import_id == import_id
            )
        )
        conn.execute(delete(household_imports).where(household_imports.c.import_id == import_id))
        conn.execute(household_imports.insert().values(**row))


def record(
    engine: Engine,
    import_id: str,
    counts: dict[str, int],
    refusals: Sequence[dict[str, Any]],
    at: datetime,
) -> None:
    """Add a batch's counts and refused lines (a line recorded before is kept as it was)."""
    i = household_imports.c
    added = {name: i[name] + counts.get(name, 0) for name in COUNTS}
    with engine.begin() as conn:
        conn.execute(
            update(household_imports).where(i.import_id == import_id).values(**added, updated_at=at)
        )
        rows = [{"import_id": import_id} | r for r in refusals]
        upsert(conn, household_import_refusals, rows, ("import_id", "line"))


def finish(engine: Engine, import_id: str, status: str, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(household_imports)
            .where(household_imports.c.import_id == import_id)
            .values(status=status, updated_at=at)
        )


def state(engine: Engine, import_id: str) -> dict[str, Any] | None:
    return fetch_one(
        engine, select(household_imports).where(household_imports.c.import_id == import_id)
    )


def refusals(engine: Engine, import_id: str, paging: Paging) -> Page:
    """The import's refused lines, in line order, a page at a time."""
    r = household_import_refusals
    stmt = select(r.c.line, r.c.reason, r.c.message, r.c.first_line, r.c.household_id).where(
        r.c.import_id == import_id
    )
    return read_page(engine, stmt, [Sort(r.c.line, "line")], paging)
