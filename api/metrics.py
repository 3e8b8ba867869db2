"""Prometheus metrics of the API process, in a registry each app owns.

Request times come from an ASGI middleware, decisions from `services.app.sending`, and projection
progress and lag are read at scrape time from `projection_positions` and Kafka's end offsets.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import Services
from projections.registry import PROJECTIONS
from services.app.sending import decision_listener
from services.domain.commands import Reply
from services.runtime.health import end_offsets, stored_offsets
from services.runtime.settings import Settings

T = TypeVar("T")
Partition = tuple[str, int]  # (topic, partition)
Stored = dict[tuple[str, str, int], int]  # (projection, topic, partition) -> last applied offset

UNMATCHED = "unmatched"  # the route label when no route matched: raw paths would be unbounded


class ApiMetrics:
    """The API's metrics and the registry they live in, one per app."""

    def __init__(self, services: Services) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "aid_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "aid_decisions",
            "Commands decided, by command type, outcome "
            "(accepted, replayed, refused, rejected) and error code.",
            ["command", "outcome", "error"],
            registry=self.registry,
        )
        self.registry.register(ProjectionCollector(services))

    def count_decision(self, command_type: str, reply: Reply) -> None:
        """Count a decision made while serving a request of this app."""
        self.decisions.labels(command_type, outcome(reply), reply.error or "").inc()

    def scrape(self) -> bytes:
        """The exposition text; waits up to the Kafka timeout, so call it off the event loop."""
        return generate_latest(self.registry)


async def get_metrics(request: Request) -> ApiMetrics:
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]


class RequestMetrics:
    """Pure ASGI middleware: times each HTTP request under its route template."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the server answers if the app raises before starting a response

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        # The application layer tells this app's metrics of the decisions it waits for.
        token = decision_listener.set(self.metrics.count_decision)
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            decision_listener.reset(token)
            # The router stores the matched route in the scope it shares with us.
            route = getattr(scope.get("route"), "path", UNMATCHED)
            labels = self.metrics.requests.labels(scope["method"], route, str(status))
            labels.observe(time.perf_counter() - started)


def outcome(reply: Reply) -> str:
    """`replayed` for an accepted command answered again; a repeated refusal stays `refused`."""
    if reply.status == "accepted":
        return "replayed" if reply.replayed else "accepted"
    return reply.status


class ProjectionCollector(Collector):
    """Whether Kafka and the database answer, and each projection's progress and lag."""

    def __init__(self, services: Services) -> None:
        self.services = services
        # Bounded: a hung Kafka or database call holds at most these threads.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="aid-metrics")

    def describe(self) -> Iterable[Metric]:
        return families(self.services.settings, None, None)

    def collect(self) -> Iterable[Metric]:
        settings, engine = self.services.settings, self.services.engine
        streams = {s for p in PROJECTIONS.values() for s in p.streams}
        deadline = time.monotonic() + settings.kafka_timeout_seconds
        stored = self._pool.submit(stored_offsets, engine)
        ends = self._pool.submit(end_offsets, settings, streams)
        return families(settings, _within(stored, deadline), _within(ends, deadline))


def _within(future: Future[T], deadline: float) -> T | None:
    """The future's result, or None if it failed or did not finish by the deadline."""
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except Exception:
        future.cancel()  # still queued behind hung calls: drop it
        return None


def families(
    settings: Settings, stored: Stored | None, ends: dict[Partition, int] | None
) -> list[Metric]:
    """The gauges of one scrape; `None` means that side did not answer, so its values are absent."""
    kafka = GaugeMetricFamily("aid_kafka_up", "1 if Kafka answered the last scrape in time.")
    database = GaugeMetricFamily("aid_database_up", "1 if the read-model database answered.")
    kafka.add_metric([], int(ends is not None))
    database.add_metric([], int(stored is not None))
    return [kafka, database, _applied(stored), _lag(settings, stored, ends)]


def _applied(stored: Stored | None) -> GaugeMetricFamily:
    applied = GaugeMetricFamily(
        "aid_projection_events_applied",
        "Events applied per projection: stored offset + 1, summed over partitions.",
        labels=["projection"],
    )
    if stored is None:
        return applied
    for name in PROJECTIONS:
        applied.add_metric([name], sum(o + 1 for (p, _, _), o in stored.items() if p == name))
    return applied


def _lag(
    settings: Settings, stored: Stored | None, ends: dict[Partition, int] | None
) -> GaugeMetricFamily:
    lag = GaugeMetricFamily(
        "aid_projection_lag_events",
        "Events written to a partition that the projection has not applied yet.",
        labels=["projection", "topic", "partition"],
    )
    if stored is None or ends is None:
        return lag
    for projection in PROJECTIONS.values():
        topics = {settings.topic(s) for s in projection.streams}
        for (topic, partition), end in sorted(ends.items()):
            if topic in topics:
                done = stored.get((projection.name, topic, partition), -1)
                lag.add_metric([projection.name, topic, str(partition)], end - 1 - done)
    return lag
