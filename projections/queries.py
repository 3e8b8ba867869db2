"""Read-side queries over the read models (the only place routes get data from)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from projections.paging import EVERYTHING, Page, Paging, Sort, read_page
from projections.sql import plan_for_values
from projections.tables import (
    ended_sessions,
    inventory_lots,
    items,
    locations,
    projection_positions,
    stock_movements,
)
from projections.writer_types import utc


def one_statement(engine: Engine) -> Connection:
    """A connection for one read statement, outside a transaction (autocommit): a statement
    sees one snapshot on its own, and the BEGIN and ROLLBACK around it would cost two more
    round trips to the database."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def fetch_one(engine: Engine, stmt: Any) -> dict[str, Any] | None:
    """The statement's first row, or None."""
    with one_statement(engine) as conn:
        row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def fetch_all(engine: Engine, stmt: Any) -> list[dict[str, Any]]:
    with one_statement(engine) as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def fetch_each_planned(engine: Engine, stmts: list[Any]) -> list[list[dict[str, Any]]]:
    """The rows of each statement, each planned for its own values on PostgreSQL.

    For bulk lookups in a table that grows while they run (an import's): psycopg prepares a
    statement from its sixth run, and PostgreSQL may then keep a generic plan made while the
    table was nearly empty, a scan of the whole table for each lookup long after it has grown
    (a second per lookup at 60,000 households), until an ANALYZE happens to replace it."""
    with engine.connect() as conn, conn.begin():
        plan_for_values(conn)
        return [[dict(r) for r in conn.execute(stmt).mappings()] for stmt in stmts]


STREAMED_ROWS = 2_000  # fetched from the database at a time


def stream_all(engine: Engine, stmt: Any) -> Iterator[tuple[Any, ...]]:
    """The rows one at a time (named tuples, not copied), fetched a few thousand at once (a
    server-side cursor on PostgreSQL): memory stays flat however many rows there are. The
    connection is held until the iterator is exhausted or closed."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=STREAMED_ROWS).execute(stmt)
        for rows in result.tuples().partitions():
            yield from rows


def session_ended(engine: Engine, session_hash: str) -> bool:
    """Whether the web session of this nonce hash was signed out."""
    stmt = select(ended_sessions.c.session_hash).where(
        ended_sessions.c.session_hash == session_hash
    )
    with one_statement(engine) as conn:
        return conn.execute(stmt).first() is not None


def location(engine: Engine, location_id: str) -> dict[str, Any] | None:
    return fetch_one(engine, select(locations).where(locations.c.location_id == location_id))


def regions_of(engine: Engine, location_ids: Collection[str]) -> dict[str, str]:
    """The region of each of these locations the reference data knows."""
    stmt = select(locations.c.location_id, locations.c.region_code).where(
        locations.c.location_id.in_(list(location_ids))
    )
    return {row["location_id"]: row["region_code"] for row in fetch_all(engine, stmt)}


def area_names(
    engine: Engine, region_code: str, province_code: str | None
) -> tuple[set[str], set[str]]:
    """The names the registered locations give the region, and the province (if any)."""
    loc = locations
    regions = select(loc.c.region_name).where(loc.c.region_code == region_code).distinct()
    provinces = (
        select(loc.c.province_name)
        .where(loc.c.province_code == province_code, loc.c.province_name.is_not(None))
        .distinct()
    )
    named = {r["region_name"] for r in fetch_all(engine, regions)}
    if province_code is None:
        return named, set()
    return named, {r["province_name"] for r in fetch_all(engine, provinces)}


def all_locations(engine: Engine, paging: Paging = EVERYTHING) -> Page:
    by_id = [Sort(locations.c.location_id, "location_id")]
    return read_page(engine, select(locations), by_id, paging)


def item(engine: Engine, item_id: str) -> dict[str, Any] | None:
    return fetch_one(engine, select(items).where(items.c.item_id == item_id))


def all_items(engine: Engine, paging: Paging = EVERYTHING) -> Page:
    return read_page(engine, select(items), [Sort(items.c.item_id, "item_id")], paging)


def inventory(
    engine: Engine,
    *,
    location_ids: Collection[str] | None = None,
    item_id: str | None = None,
    as_of: datetime | None = None,
    paging: Paging = EVERYTHING,
) -> Page:
    """On hand per location × item × lot, now or as of a past moment."""
    if as_of is None:
        stmt = select(inventory_lots).where(inventory_lots.c.on_hand != 0)
        table = inventory_lots
    else:
        m = stock_movements
        sums = (
            select(m.c.location_id, m.c.item_id, m.c.lot, func.sum(m.c.quantity).label("on_hand"))
            .where(m.c.occurred_at <= utc(as_of))
            .group_by(m.c.location_id, m.c.item_id, m.c.lot)
            .subquery()
        )
        lots = inventory_lots
        stmt = (
            select(
                sums.c.location_id, sums.c.item_id, sums.c.lot, lots.c.expires_on, sums.c.on_hand
            )
            .join(
                lots,
                (lots.c.location_id == sums.c.location_id)
                & (lots.c.item_id == sums.c.item_id)
                & (lots.c.lot == sums.c.lot),
            )
            .where(sums.c.on_hand != 0)
        )
        table = sums  # type: ignore[assignment]
    if location_ids is not None:
        stmt = stmt.where(table.c.location_id.in_(list(location_ids)))
    if item_id is not None:
        stmt = stmt.where(table.c.item_id == item_id)
    order = [Sort(table.c[k], k) for k in ("location_id", "item_id", "lot")]
    return read_page(engine, stmt, order, paging)


def lowest_applied(engine: Engine, topic: str, partition: int, readers: list[str]) -> int:
    """The lowest offset of a partition that every one of the reading projections applied."""
    pp = projection_positions
    with engine.connect() as conn:
        rows = conn.execute(
            select(pp.c.projection, pp.c.offset).where(
                pp.c.topic == topic, pp.c.partition == partition, pp.c.projection.in_(readers)
            )
        ).all()
    applied = {name: offset for name, offset in rows}
    return min((applied.get(name, -1) for name in readers), default=2**63 - 1)
