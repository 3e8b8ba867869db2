"""Health and metrics: a cheap answer for anyone, the detail for whoever monitors the system."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import CurrentUser, ServicesDep, authenticate, bearer
from api.metrics import MetricsDep
from api.routing import Router
from services.app.permissions import authorize, grant
from services.runtime.health import can_serve

router = Router(tags=["operations"])
OPERATIONS = "operations.read"


@router.get("/healthz")
async def healthz(
    request: Request,
    services: ServicesDep,
    response: Response,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> dict[str, Any]:
    """`{"status": "ok"|"degraded"}` for anyone, 503 when this API cannot serve (Kafka or the
    database unreachable). With a token holding `operations.read`, the whole report: how far
    each projection lags, how many commands wait for a worker, what is degraded in words.
    Kafka and the database are asked at most once per `AID_HEALTH_CACHE_SECONDS` (5 s)."""
    report = await run_in_threadpool(services.health.report)
    if not can_serve(report):
        response.status_code = 503
    if credentials is not None:
        user = await authenticate(services, request.scope, credentials.credentials)
        if grant(user.role, OPERATIONS) is not None:
            return report
    return {"status": report["status"]}


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(metrics: MetricsDep, user: CurrentUser) -> Response:
    """Prometheus metrics: request times, decisions, projection progress and lag. Needs a token
    holding `operations.read` (a `monitor` user's, for the scraper)."""
    authorize(user, OPERATIONS)
    body = await run_in_threadpool(metrics.scrape)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
