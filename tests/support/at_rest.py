"""Wait for a running system to come to rest before its rows are compared with a rebuild.

A read model the test waited on can be current while another projection (the history reads
every stream) is still behind, or while a policy has yet to react to the last event; the rows
taken then differ from a rebuild by exactly what was still on its way."""

from __future__ import annotations

import time

from kafka import KafkaAdminClient, KafkaConsumer
from sqlalchemy import Engine

from services.runtime.health import check
from services.runtime.kafka_security import client_options
from services.runtime.settings import Settings


def worker_backlog(settings: Settings) -> int:
    """Records on every partition the worker's group reads (deciders and policies) that it
    has not yet committed as handled."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, **client_options(settings))
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, **client_options(settings))
    try:
        group = f"{settings.topic_prefix}worker"
        committed = admin.list_group_offsets(group)[group]
        ends = consumer.end_offsets(list(committed))
        return sum(max(0, ends[tp] - meta.offset) for tp, meta in committed.items())
    finally:
        consumer.close()
        admin.close()


def quiet(settings: Settings, engine: Engine) -> bool:
    """No projection behind, no command waiting, nothing a policy has still to read."""
    report = check(settings, engine)
    return (
        all(p["lag"] == 0 for p in report["projections"].values())
        and report.get("deciders", {}).get("pending_commands") == 0
        and worker_backlog(settings) == 0
    )


def wait_at_rest(settings: Settings, engine: Engine, timeout: float = 90) -> None:
    """Until the system is quiet on two looks a second apart (a policy's reaction written
    between them would show as a projection behind on the second)."""
    deadline = time.monotonic() + timeout
    calm = 0
    while calm < 2:
        assert time.monotonic() < deadline, f"the system did not come to rest in {timeout}s"
        calm = calm + 1 if quiet(settings, engine) else 0
        time.sleep(1 if calm else 0.3)
