"""The topics of the contract, created idempotently with the configured layout."""

from __future__ import annotations

import contextlib
import logging

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from services.runtime.settings import Settings

log = logging.getLogger(__name__)

EVENT_STREAMS = ("reference", "stock", "households", "distributions", "deployments", "donations")
COMMAND_STREAMS = (
    "reference-commands",
    "stock-commands",
    "household-commands",
    "distribution-commands",
    "deployment-commands",
    "donation-commands",
)
REFUSAL_STREAMS = tuple(f"{stream}-refusals" for stream in EVENT_STREAMS)
OTHER_STREAMS = ("users", "dlq", "replies")
ALL_STREAMS = EVENT_STREAMS + COMMAND_STREAMS + REFUSAL_STREAMS + OTHER_STREAMS


def topic_configs(settings: Settings, stream: str) -> dict[str, str]:
    """Kafka topic settings: events are kept forever; commands and replies expire."""
    config = {"min.insync.replicas": str(settings.min_insync_replicas)}
    if stream in EVENT_STREAMS or stream == "users":
        config["retention.ms"] = "-1"
    else:
        config["retention.ms"] = str(7 * 24 * 3600 * 1000)
    return config


def ensure_topics(settings: Settings) -> list[str]:
    """Create every missing topic; returns the names created."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, client_id="aid-admin", request_timeout_ms=15000
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
        log.info("created topics %s", [t.name for t in wanted])
        return [t.name for t in wanted]
    finally:
        admin.close()


def partitions_of(settings: Settings, stream: str) -> list[int]:
    """The partition numbers of a stream's topic (blocking; asks the brokers)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10000)
    try:
        return sorted(consumer.partitions_for_topic(settings.topic(stream)) or ())
    finally:
        consumer.close()
