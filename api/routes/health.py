"""Health and metrics: honest about what is degraded."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import ServicesDep
from api.metrics import MetricsDep
from services.runtime.health import can_serve, check

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz(services: ServicesDep, response: Response) -> dict:
    """Whether Kafka and the database answer, how far each projection lags, how many commands
    wait for a worker, and what is degraded in words. 503 when this API cannot serve."""
    report = await run_in_threadpool(check, services.settings, services.engine)
    if not can_serve(report):
        response.status_code = 503
    return report


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(metrics: MetricsDep) -> Response:
    """Prometheus metrics: request times, decisions, projection progress and lag (no token)."""
    body = await run_in_threadpool(metrics.scrape)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
