"""The topics of the contract, created idempotently with the configured layout."""

from __future__ import annotations

import contextlib
import logging
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from services.runtime.kafka_security import client_options
from services.runtime.settings import Settings

log = logging.getLogger(__name__)

EVENT_STREAMS = (
    "reference",
    "stock",
    "households",
    "distributions",
    "deployments",
    "donations",
    "users",
    "requisitions",
    "slots",
    "pledges",
)
COMMAND_STREAMS = (
    "reference-commands",
    "stock-commands",
    "household-commands",
    "distribution-commands",
    "deployment-commands",
    "donation-commands",
    "user-commands",
    "requisition-commands",
    "slot-commands",
    "pledge-commands",
)
REFUSAL_STREAMS = tuple(f"{stream}-refusals" for stream in EVENT_STREAMS)
# The signed checkpoints of the event chains' heads, written by `aid ledger checkpoint`.
CHECKPOINT_STREAM = "checkpoints"
OTHER_STREAMS = ("dlq", "replies", CHECKPOINT_STREAM)
ALL_STREAMS = EVENT_STREAMS + COMMAND_STREAMS + REFUSAL_STREAMS + OTHER_STREAMS


def topic_configs(settings: Settings, stream: str) -> dict[str, str]:
    """Kafka topic settings: events are kept forever; commands and replies expire."""
    config = {"min.insync.replicas": str(settings.min_insync_replicas)}
    if stream in EVENT_STREAMS or stream == CHECKPOINT_STREAM:
        config["retention.ms"] = "-1"
    else:
        config["retention.ms"] = str(7 * 24 * 3600 * 1000)
    return config


def ensure_topics(settings: Settings) -> list[str]:
    """Create every missing topic; returns the names created."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id="aid-admin",
        request_timeout_ms=15000,
        **client_options(settings),
    )
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                name=settings.topic(stream),
                num_partitions=settings.partitions,
                replication_factor=settings.replication_factor,
                topic_configs=topic_configs(settings, stream),
            )
            for stream in ALL_STREAMS
            if settings.topic(stream) not in existing
        ]
        if not wanted:
            return []
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics(wanted, timeout_ms=15000)
        _wait_for_leaders(admin, {t.name: t.num_partitions for t in wanted})
        log.info("created topics %s", [t.name for t in wanted])
        return [t.name for t in wanted]
    finally:
        admin.close()


def _wait_for_leaders(
    admin: KafkaAdminClient, partitions: dict[str, int], timeout: float = 60.0
) -> None:
    """Return once every partition of the new topics has a leader: a write sent before that
    is refused (NotLeaderForPartition) and, on a busy broker, may time out."""
    deadline = time.monotonic() + timeout
    while True:
        described = admin.describe_topics(list(partitions))
        led = {
            t["name"]: sum(
                1 for p in t["partitions"] if p["leader_id"] >= 0 and not p["error_code"]
            )
            for t in described
            if not t["error_code"]
        }
        if all(led.get(name, 0) >= count for name, count in partitions.items()):
            return
        if time.monotonic() > deadline:
            waiting = sorted(n for n, c in partitions.items() if led.get(n, 0) < c)
            raise TimeoutError(f"topics without a leader after {timeout:.0f} s: {waiting}")
        time.sleep(0.2)


def partitions_of(settings: Settings, stream: str) -> list[int]:
    """The partition numbers of a stream's topic (blocking; asks the brokers)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        request_timeout_ms=10000,
        **client_options(settings),
    )
    try:
        return sorted(consumer.partitions_for_topic(settings.topic(stream)) or ())
    finally:
        consumer.close()
