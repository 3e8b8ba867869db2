"""Ceiling (c): ceiling (b) plus writing the inventory projection's rows, into the same tables
with the same indexes (created by the projection's own migrations, in a database of its own),
by the fastest path PostgreSQL offers: binary `COPY` into temporary staging tables, then
`INSERT … SELECT … ON CONFLICT` into the real tables, in one transaction per batch that also
stores the partitions' positions.

It handles the event types of the benchmark's workload (receipts, transfers dispatched and
received, distributions); any other type is counted and fails the run, since the ceiling
would then not be doing the projection's work. Events are taken as they come: positions are
stored, but there is no event-id dedupe (every event in the run is new), as in the issue's
target where tables with a natural key need no `applied_events` row. While one batch is
written (in a thread), the next is fetched and its rows built, as the projector does.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import orjson
import psycopg
from aiokafka import ConsumerRecord

from bench.common import stock_reader
from services.runtime.settings import Settings

Ends = dict[tuple[str, int], int]
PROJECTION = "inventory"

_STAGING = """
CREATE TEMP TABLE s_moves (
    event_id uuid, line int4, "partition" int4, "offset" int8, location_id text, item_id text,
    lot text, kind text, quantity int8, reference_id text, reason text, donation_id text,
    occurred_at timestamp, actor text, expires_on date) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE s_transfers (
    transfer_id text, from_location_id text, to_location_id text, status text,
    dispatched_at timestamp, received_at timestamp) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE s_lines (
    transfer_id text, item_id text, lot text, expires_on date, donation_id text,
    dispatched int8, received int8) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE s_dists (
    distribution_id text, lot text, location_id text, item_id text, donation_id text,
    quantity int8, campaign_id text, region_code text, province_code text,
    occurred_at timestamp) ON COMMIT DELETE ROWS;
"""

_COPY: dict[str, list[str]] = {  # each staging table's column types, for binary COPY
    "s_moves": ["uuid", "int4", "int4", "int8", "text", "text", "text", "text", "int8", "text",
                "text", "text", "timestamp", "text", "date"],
    "s_transfers": ["text", "text", "text", "text", "timestamp", "timestamp"],
    "s_lines": ["text", "text", "text", "date", "text", "int8", "int8"],
    "s_dists": ["text", "text", "text", "text", "text", "int8", "text", "text", "text",
                "timestamp"],
}  # fmt: skip

_MERGE = {  # by the table each statement writes
    # the stock card: one line per lot change, kept once per place in the log and line
    "stock_movements": (
        'INSERT INTO stock_movements (event_id, line, "partition", "offset", location_id, item_id, '
        "lot, kind, quantity, reference_id, reason, donation_id, occurred_at, actor) "
        'SELECT event_id, line, "partition", "offset", location_id, item_id, lot, kind, quantity, '
        "reference_id, reason, donation_id, occurred_at, actor FROM s_moves "
        'ON CONFLICT ("partition", "offset", line) DO NOTHING'
    ),
    # lots: the batch's net change per lot added to what is on hand
    "inventory_lots": (
        "INSERT INTO inventory_lots (location_id, item_id, lot, expires_on, on_hand) "
        "SELECT location_id, item_id, lot, min(expires_on), sum(quantity) FROM s_moves "
        "GROUP BY location_id, item_id, lot "
        "ON CONFLICT (location_id, item_id, lot) DO UPDATE SET "
        "on_hand = inventory_lots.on_hand + EXCLUDED.on_hand, "
        "expires_on = COALESCE(inventory_lots.expires_on, EXCLUDED.expires_on)"
    ),
    # transfers: dispatch and receipt each fill their part, in either order
    "transfers": (
        "INSERT INTO transfers (transfer_id, from_location_id, to_location_id, status, "
        "dispatched_at, received_at) "
        "SELECT transfer_id, min(from_location_id), min(to_location_id), "
        "CASE WHEN bool_or(status = 'received') THEN 'received' ELSE 'in_transit' END, "
        "max(dispatched_at), max(received_at) FROM s_transfers GROUP BY transfer_id "
        "ON CONFLICT (transfer_id) DO UPDATE SET "
        "status = CASE WHEN EXCLUDED.status = 'received' THEN 'received' "
        "ELSE transfers.status END, "
        "dispatched_at = COALESCE(transfers.dispatched_at, EXCLUDED.dispatched_at), "
        "received_at = COALESCE(transfers.received_at, EXCLUDED.received_at)"
    ),
    "transfer_lines": (
        "INSERT INTO transfer_lines (transfer_id, item_id, lot, expires_on, donation_id, "
        "dispatched, received, missing, returned) "
        "SELECT transfer_id, item_id, lot, min(expires_on), min(donation_id), sum(dispatched), "
        "sum(received), 0, 0 FROM s_lines GROUP BY transfer_id, item_id, lot "
        "ON CONFLICT (transfer_id, item_id, lot) DO UPDATE SET "
        "dispatched = transfer_lines.dispatched + EXCLUDED.dispatched, "
        "received = transfer_lines.received + EXCLUDED.received, "
        "expires_on = COALESCE(transfer_lines.expires_on, EXCLUDED.expires_on), "
        "donation_id = COALESCE(transfer_lines.donation_id, EXCLUDED.donation_id)"
    ),
    "lot_distributions": (
        "INSERT INTO lot_distributions (distribution_id, lot, location_id, item_id, donation_id, "
        "quantity, campaign_id, region_code, province_code, occurred_at) "
        "SELECT * FROM s_dists ON CONFLICT (distribution_id, lot) DO NOTHING"
    ),
}

_POSITIONS = (
    'INSERT INTO projection_positions (projection, topic, "partition", "offset") '
    "SELECT %s, unnest(%s::text[]), unnest(%s::int4[]), unnest(%s::int8[]) "
    'ON CONFLICT (projection, topic, "partition") DO UPDATE SET "offset" = EXCLUDED."offset"'
)


class UnknownEvent(RuntimeError):
    """An event type ceiling (c) does not write: it would not be doing the projection's work."""


def _when(moment: str) -> datetime:
    """As the projection stores times: naive UTC."""
    return datetime.fromisoformat(moment).astimezone(UTC).replace(tzinfo=None)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class Rows:
    """One batch's rows for the staging tables, built in one pass over the records."""

    def __init__(self) -> None:
        self.tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _COPY}
        self.last: dict[tuple[str, int], int] = {}

    def add(self, record: ConsumerRecord) -> None:
        p = orjson.loads(record.value)
        kind, d = p["type"], p["data"]
        event_id, when = uuid.UUID(p["event_id"]), _when(p["occurred_at"])
        actor = p["actor"]["user_id"]
        head = (event_id, 0, record.partition, record.offset)
        moves = self.tables["s_moves"]
        if kind == "StockReceived":
            moves.append(
                (*head, d["location_id"], d["item_id"], d["lot"], kind, d["quantity"],
                 d["receipt_id"], "received", d.get("donation_id"), when, actor,
                 _day(d.get("expires_on")))
            )  # fmt: skip
        elif kind == "StockDistributed":
            moves.append(
                (*head, d["location_id"], d["item_id"], d["lot"], kind, -d["quantity"],
                 d["distribution_id"], f"campaign {d['campaign_id']}", d.get("donation_id"),
                 when, actor, _day(d.get("expires_on")))
            )  # fmt: skip
            self.tables["s_dists"].append(
                (d["distribution_id"], d["lot"], d["location_id"], d["item_id"],
                 d.get("donation_id"), d["quantity"], d["campaign_id"], d["region_code"],
                 d.get("province_code"), when)
            )  # fmt: skip
        elif kind in ("TransferDispatched", "TransferReceived"):
            out = kind == "TransferDispatched"
            origin, destination = d["from_location_id"], d["to_location_id"]
            self.tables["s_transfers"].append(
                (d["transfer_id"], origin, destination, "in_transit" if out else "received",
                 when if out else None, None if out else when)
            )  # fmt: skip
            for i, ln in enumerate(d["lines"]):
                expires, quantity = _day(ln.get("expires_on")), ln["quantity"]
                moves.append(
                    (event_id, i, record.partition, record.offset,
                     origin if out else destination, ln["item_id"], ln["lot"], kind,
                     -quantity if out else quantity, d["transfer_id"],
                     f"to {destination}" if out else f"from {origin}", ln.get("donation_id"),
                     when, actor, expires)
                )  # fmt: skip
                self.tables["s_lines"].append(
                    (d["transfer_id"], ln["item_id"], ln["lot"], expires, ln.get("donation_id"),
                     quantity if out else 0, 0 if out else quantity)
                )  # fmt: skip
        else:
            raise UnknownEvent(kind)
        tp = (record.topic, record.partition)
        self.last[tp] = max(record.offset, self.last.get(tp, -1))


def write(conn: psycopg.Connection[Any], rows: Rows, steps: dict[str, float]) -> None:
    """One transaction: COPY the staging rows, merge them into the tables, store positions.
    Adds the seconds each step took to `steps` (copy, one per merged table, commit)."""
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[name] = steps.get(name, 0.0) + now - clock
        clock = now

    with conn.transaction(), conn.cursor() as cur:
        for table, types in _COPY.items():
            staged = rows.tables[table]
            if not staged:
                continue
            with cur.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in staged:
                    copy.write_row(row)
        step("copy")
        for table, sql in _MERGE.items():
            cur.execute(sql)
            step(table)
        ends = rows.last.items()
        topics = [t for (t, _), _ in ends]
        partitions = [p for (_, p), _ in ends]
        offsets = [o for _, o in ends]
        cur.execute(_POSITIONS, (PROJECTION, topics, partitions, offsets))
        step("projection_positions")
    step("commit")


async def copy_ceiling(settings: Settings, ends: Ends, url: str, steps: dict[str, float]) -> float:
    """Seconds to consume every record up to `ends` and write its rows into `url`'s
    inventory tables (already migrated), the clock starting at the first record received;
    `steps` gets the seconds spent in each step of the writes (see `write`) and in building
    the rows (`rows`)."""
    conn = psycopg.connect(url)
    conn.execute(_STAGING)
    conn.commit()
    consumer = stock_reader(settings, "copy")
    await consumer.start()
    last: dict[tuple[str, int], int] = {}
    started = 0.0
    pending: asyncio.Task[None] | None = None
    try:
        while True:
            polled = await consumer.getmany(timeout_ms=200, max_records=settings.worker_batch_size)
            records = [r for rs in polled.values() for r in rs]
            if not records:
                continue
            started = started or time.perf_counter()
            building = time.perf_counter()
            rows = Rows()
            for r in records:
                rows.add(r)
            steps["rows"] = steps.get("rows", 0.0) + time.perf_counter() - building
            if pending is not None:
                await pending
            pending = asyncio.create_task(asyncio.to_thread(write, conn, rows, steps))
            for r in records:
                tp = (r.topic, r.partition)
                last[tp] = max(r.offset, last.get(tp, -1))
            if all(last.get(tp, -1) >= end for tp, end in ends.items()):
                await pending
                return time.perf_counter() - started
    finally:
        if pending is not None and not pending.done():
            await asyncio.gather(pending, return_exceptions=True)
        await consumer.stop()
        conn.close()
