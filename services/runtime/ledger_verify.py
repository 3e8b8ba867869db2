"""`aid ledger verify`: walk every partition of every event topic, checking each event's
signature and its link to its predecessor (events/chain.py).

For each partition the result is OK with the number of events and the head (the link the
next event will carry), or the first offset where a signature or a link fails and why.
Events below the one-time upgrade offsets (`AID_ACCEPT_UNSIGNED_BEFORE`, written before
signing and chaining began) need neither a signature nor a link; the first event at or
after them must link to the last of them.

The last result is kept in `AID_DATA_DIR/ledger-verify.json`: `/healthz` reads that file and
reports a failure once one is found, until a later run passes. It is as fresh as the last
run (run it periodically, e.g. from cron, on the API's host or a shared data directory).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from events.chain import GENESIS, link_of_record
from events.signing import LedgerKeys, UnverifiedEvent
from services.runtime.kafka_security import client_options
from services.runtime.settings import Settings
from services.runtime.topics import CHECKPOINT_STREAM, EVENT_STREAMS

RESULT_FILE = "ledger-verify.json"


@dataclass(frozen=True)
class PartitionResult:
    """One partition's verdict: `failed_at` and `reason` are None when it verifies."""

    topic: str
    partition: int
    events: int
    head: str
    failed_at: int | None = None
    reason: str | None = None
    last_offset: int = -1  # of the last record read (-1: none)

    @property
    def ok(self) -> bool:
        return self.failed_at is None

    def line(self) -> str:
        where = f"{self.topic}[{self.partition}]"
        if self.ok:
            return f"{where} OK {self.events} events, head {self.head}"
        return f"{where} FAILED at offset {self.failed_at}: {self.reason}"


def verify_records(
    topic: str,
    partition: int,
    records: Iterable[tuple[int, bytes | None]],
    keys: LedgerKeys,
    unchained_before: int = 0,
    extends: tuple[int, str] | None = None,
) -> PartitionResult:
    """Check (offset, value) records of one partition in order; stop at the first failure.

    `extends` is a checkpoint's (offset, head) for this partition: the record at that offset
    must have that link."""
    head, count, last = GENESIS, 0, -1
    for offset, raw in records:
        reason = _failure(raw, keys, head) if offset >= unchained_before else None
        if reason is not None:
            return PartitionResult(topic, partition, count, head, offset, reason, last)
        head, count, last = link_of_record(raw), count + 1, offset
        if extends is not None and offset == extends[0] and head != extends[1]:
            reason = f"does not extend the checkpoint: its head here was {extends[1][:16]}…"
            return PartitionResult(topic, partition, count, head, offset, reason, last)
    if extends is not None and last < extends[0]:
        reason = f"shorter than the checkpoint, which has an event at offset {extends[0]}"
        return PartitionResult(topic, partition, count, head, last + 1, reason, last)
    return PartitionResult(topic, partition, count, head, last_offset=last)


def _failure(raw: bytes | None, keys: LedgerKeys, head: str) -> str | None:
    """Why this record does not verify after `head`, or None."""
    try:
        payload = orjson.loads(raw or b"")
    except orjson.JSONDecodeError:
        return "not JSON"
    if not isinstance(payload, dict):
        return "not a JSON object"
    try:
        keys.verify(payload)
    except UnverifiedEvent as exc:
        return exc.reason
    prev = payload.get("prev")
    if prev is None:
        return "no link to the previous event (prev missing)"
    if prev != head:
        return f"link broken: prev {str(prev)[:16]}… is not the previous event's {head[:16]}…"
    return None


def checkpoint_of(results: Iterable[PartitionResult], issued_at: str) -> dict[str, Any]:
    """The unsigned checkpoint of verified partitions: each one's last offset and head."""
    return {
        "type": "LedgerCheckpoint",
        "issued_at": issued_at,
        "heads": [
            {
                "topic": r.topic,
                "partition": r.partition,
                "offset": r.last_offset,
                "events": r.events,
                "head": r.head,
            }
            for r in results
            if r.ok
        ],
    }


def heads_of(checkpoint: Mapping[str, Any]) -> dict[tuple[str, int], tuple[int, str]]:
    """(topic, partition) -> (offset, head) of a checkpoint's non-empty partitions."""
    return {
        (h["topic"], h["partition"]): (h["offset"], h["head"])
        for h in checkpoint["heads"]
        if h["offset"] >= 0
    }


def verify_log(
    settings: Settings, checkpoint: Mapping[str, Any] | None = None
) -> list[PartitionResult]:
    """Verify every partition of every event topic on the broker (blocking); with a
    checkpoint, also that each partition still extends it."""
    expected = heads_of(checkpoint) if checkpoint is not None else {}
    from kafka import KafkaConsumer, TopicPartition

    keys = settings.ledger()
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        request_timeout_ms=10000,
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        **client_options(settings),
    )
    results = []
    try:
        for stream in EVENT_STREAMS:
            topic = settings.topic(stream)
            upgrade = settings.accept_unsigned_before.get(stream, [])
            for partition in sorted(consumer.partitions_for_topic(topic) or ()):
                tp = TopicPartition(topic, partition)
                consumer.assign([tp])
                end = consumer.end_offsets([tp])[tp]
                consumer.seek_to_beginning(tp)
                before = upgrade[partition] if partition < len(upgrade) else 0
                records = _records(consumer, tp, end)
                extends = expected.get((topic, partition))
                results.append(verify_records(topic, partition, records, keys, before, extends))
    finally:
        consumer.close()
    return results


def _records(consumer: Any, tp: Any, end: int) -> Iterable[tuple[int, bytes | None]]:
    deadline = time.monotonic() + 60
    while consumer.position(tp) < end:
        batch = consumer.poll(timeout_ms=1000).get(tp, [])
        for record in batch:
            if record.offset < end:
                yield record.offset, record.value
        if batch:
            deadline = time.monotonic() + 60
        elif time.monotonic() > deadline:
            raise TimeoutError(f"{tp.topic}[{tp.partition}] not read to {end} in time")


def publish_checkpoint(settings: Settings, results: list[PartitionResult]) -> dict[str, Any]:
    """Sign the heads of a verified log, write them to the checkpoints topic and to the read
    model (`GET /v1/ledger/checkpoints`); the signed checkpoint."""
    from kafka import KafkaProducer

    from projections.database import make_engine
    from projections.ledger_queries import record_checkpoint

    now = datetime.now(UTC)
    body = settings.checkpoints().sign(checkpoint_of(results, now.isoformat()))
    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        **client_options(settings),
    )
    try:
        topic = settings.topic(CHECKPOINT_STREAM)
        producer.send(topic, orjson.dumps(body), key=b"checkpoint").get(timeout=30)
    finally:
        producer.close()
    engine = make_engine(settings.db_url)
    try:
        record_checkpoint(engine, body, now.replace(tzinfo=None))
    finally:
        engine.dispose()
    return body


def save_result(settings: Settings, results: list[PartitionResult]) -> None:
    """Keep the run's verdict where `/healthz` reads it."""
    failures = [asdict(r) for r in results if not r.ok]
    body = {"checked_at": time.time(), "ok": not failures, "failures": failures}
    path = Path(settings.data_dir) / RESULT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps(body))
    tmp.replace(path)


def last_result(settings: Settings) -> Mapping[str, Any] | None:
    """The last saved verdict, None when `aid ledger verify` never ran here."""
    try:
        path = Path(settings.data_dir) / RESULT_FILE
        found: Mapping[str, Any] = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return found
