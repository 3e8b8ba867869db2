"""What is up and how far behind each projection is."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine, select, text

from projections.registry import PROJECTIONS
from projections.tables import projection_positions
from services.runtime.kafka_security import client_options
from services.runtime.ledger_verify import last_result
from services.runtime.settings import Settings
from services.runtime.topics import COMMAND_STREAMS


def end_offsets(settings: Settings, streams: set[str]) -> dict[tuple[str, int], int]:
    """The next offset to be written, per partition of the streams' topics."""
    consumer = _consumer(settings)
    try:
        offsets = consumer.end_offsets(_partitions(consumer, settings, streams))
        return {(tp.topic, tp.partition): o for tp, o in offsets.items()}
    finally:
        consumer.close()


def _consumer(settings: Settings, group_id: str | None = None) -> KafkaConsumer:
    return KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        **client_options(settings),
        group_id=group_id,
        enable_auto_commit=False,
        request_timeout_ms=3000,
        bootstrap_timeout_ms=3000,
        consumer_timeout_ms=3000,
    )


def _partitions(
    consumer: KafkaConsumer, settings: Settings, streams: Iterable[str]
) -> list[TopicPartition]:
    return [
        TopicPartition(settings.topic(s), p)
        for s in streams
        for p in consumer.partitions_for_topic(settings.topic(s)) or ()
    ]


def stored_offsets(engine: Engine) -> dict[tuple[str, str, int], int]:
    """The last offset each projection applied, per (projection, topic, partition)."""
    with engine.connect() as conn:
        rows = conn.execute(select(projection_positions)).all()
    return {(r.projection, r.topic, r.partition): r.offset for r in rows}


def group_commits(
    settings: Settings, group_id: str, partitions: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], int]:
    """What a consumer group committed for these (topic, partition)s, where it did; read
    without joining the group."""
    consumer = _consumer(settings, group_id=group_id)
    try:
        committed = {(t, p): consumer.committed(TopicPartition(t, p)) for t, p in partitions}
        return {place: offset for place, offset in committed.items() if offset is not None}
    finally:
        consumer.close()


def pending_commands(settings: Settings) -> int:
    """Commands written but not yet taken by a worker's deciders (their consumer group).

    Reads the group's committed offsets without joining the group."""
    consumer = _consumer(settings, group_id=f"{settings.topic_prefix}worker")  # the worker app's
    try:
        ends = consumer.end_offsets(_partitions(consumer, settings, COMMAND_STREAMS))
        return sum(end - (consumer.committed(tp) or 0) for tp, end in ends.items())
    finally:
        consumer.close()


def check(settings: Settings, engine: Engine) -> dict[str, Any]:
    """A health report. `status` is `ok`, or `degraded` with the `problems` in words; the
    API answers 503 only when it cannot serve (Kafka or the database unreachable)."""
    report: dict[str, Any] = {"status": "ok"}
    problems: list[str] = []
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        applied = stored_offsets(engine)
        report["database"] = "ok"
    except Exception as exc:
        report["database"], applied = f"unreachable: {type(exc).__name__}", {}
        problems.append("the read-model database does not answer: reads and sign-in fail")
    try:
        streams = {s for p in PROJECTIONS.values() for s in p.streams}
        ends = end_offsets(settings, streams)
        report["kafka"] = "ok"
    except Exception as exc:
        report["kafka"], ends = f"unreachable: {type(exc).__name__}", {}
        problems.append("Kafka does not answer: writes are refused with 503")
    report["projections"] = {
        p.name: {
            "lag": sum(
                end - 1 - applied.get((p.name, topic, partition), -1)
                for (topic, partition), end in ends.items()
                if topic in {settings.topic(s) for s in p.streams}
            )
            if ends
            else None
        }
        for p in PROJECTIONS.values()
    }
    for name, projection in report["projections"].items():
        if (projection["lag"] or 0) > settings.health_max_lag:
            problems.append(
                f"projection {name} is {projection['lag']} events behind: reads are stale"
            )
    if report["kafka"] == "ok":
        try:
            pending = pending_commands(settings)
            report["deciders"] = {"pending_commands": pending}
            if pending > settings.health_max_pending_commands:
                problems.append(f"{pending} commands wait for a worker: writes time out")
        except Exception as exc:
            report["deciders"] = {"pending_commands": None, "error": type(exc).__name__}
    verified = last_result(settings)
    report["ledger"] = (
        None if verified is None else {"ok": verified["ok"], "checked_at": verified["checked_at"]}
    )
    if verified is not None and not verified["ok"]:
        first = verified["failures"][0]
        problems.append(
            f"the ledger failed verification: {first['topic']}[{first['partition']}] "
            f"at offset {first['failed_at']} (aid ledger verify says why)"
        )
    if problems:
        report["status"] = "degraded"
    report["problems"] = problems
    return report


def can_serve(report: dict[str, Any]) -> bool:
    return bool(report["database"] == "ok" and report["kafka"] == "ok")


class CachedCheck:
    """The last health report, kept `ttl` seconds: however often `/healthz` is called, Kafka
    and the database are asked at most once per `ttl`, and callers arriving while a check runs
    wait for that one instead of starting their own."""

    def __init__(
        self,
        run: Callable[[], dict[str, Any]],
        ttl: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._run, self._ttl, self._monotonic = run, ttl, monotonic
        self._lock = threading.Lock()
        self._report: dict[str, Any] | None = None
        self._taken_at = 0.0

    def report(self) -> dict[str, Any]:
        """A report no older than `ttl` (blocks while Kafka is asked: call it off the loop)."""
        with self._lock:
            if self._report is None or self._monotonic() - self._taken_at >= self._ttl:
                self._report = self._run()
                self._taken_at = self._monotonic()
            return self._report
