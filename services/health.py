"""What is up and how far behind each projection is."""

from __future__ import annotations

from typing import Any

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import Engine, select, text

from projections.registry import PROJECTIONS
from projections.tables import projection_positions
from services.settings import Settings


def end_offsets(settings: Settings, streams: set[str]) -> dict[tuple[str, int], int]:
    """The next offset to be written, per partition of the streams' topics."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        request_timeout_ms=3000,
        bootstrap_timeout_ms=3000,
        consumer_timeout_ms=3000,
    )
    try:
        partitions = [
            TopicPartition(settings.topic(s), p)
            for s in streams
            for p in consumer.partitions_for_topic(settings.topic(s)) or ()
        ]
        offsets = consumer.end_offsets(partitions)
        return {(tp.topic, tp.partition): o for tp, o in offsets.items()}
    finally:
        consumer.close()


def stored_offsets(engine: Engine) -> dict[tuple[str, str, int], int]:
    """The last offset each projection applied, per (projection, topic, partition)."""
    with engine.connect() as conn:
        rows = conn.execute(select(projection_positions)).all()
    return {(r.projection, r.topic, r.partition): r.offset for r in rows}


def check(settings: Settings, engine: Engine) -> dict[str, Any]:
    """A health report; `status` is `ok` only when Kafka and the database both answer."""
    report: dict[str, Any] = {"status": "ok"}
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        applied = stored_offsets(engine)
        report["database"] = "ok"
    except Exception as exc:
        report["database"], applied = f"unreachable: {type(exc).__name__}", {}
    try:
        streams = {s for p in PROJECTIONS.values() for s in p.streams}
        ends = end_offsets(settings, streams)
        report["kafka"] = "ok"
    except Exception as exc:
        report["kafka"], ends = f"unreachable: {type(exc).__name__}", {}
    if report["database"] != "ok" or report["kafka"] != "ok":
        report["status"] = "degraded"
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
    return report
