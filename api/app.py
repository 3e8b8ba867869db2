"""The FastAPI application, assembled from its routers and collaborators."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.correlation import CorrelationIds
from api.deps import Services
from api.errors import install_error_handlers
from api.limits import RequestCosts
from api.metrics import ApiMetrics, RequestMetrics
from api.openapi import describe
from api.permissions import render_markdown
from api.routes import (
    alerts,
    campaigns,
    deployments,
    distributions,
    health,
    history,
    household_imports,
    households,
    inventory,
    kits,
    ledger,
    pledges,
    reference,
    relief,
    reports,
    requisitions,
    slots,
    social_watch,
    stock,
    users,
)
from api.timing import CommandTimings
from api.ui import install as install_web_ui
from projections.database import make_engine, migrate
from projections.key_store import SqlKeyStore
from services.app.ports import CommandBus
from services.domain.privacy import PersonalData
from services.runtime.command_bus import KafkaCommandBus
from services.runtime.command_writer import CommandWriter
from services.runtime.gc_tuning import freeze_after_startup
from services.runtime.publisher import EventPublisher, KafkaEventPublisher
from services.runtime.settings import Settings, get_settings

READ_THREADS = 40

DESCRIPTION = f"""AidLedger: event-sourced logistics for emergency and social aid.

Every write is an event in Kafka; reads come from projections. Send
`Authorization: Bearer <token>`; pass a write's `position` as `?after=` to a
read to see your own write.

## Permissions

{render_markdown()}
"""


def create_app(
    settings: Settings | None = None,
    publisher: EventPublisher | None = None,
    bus: CommandBus | None = None,
    served: bool = False,
) -> FastAPI:
    """Build the API; tests pass their own settings, publisher and command bus. A `served`
    API (`aid api`) freezes its start-up objects out of the garbage collector's reach."""
    settings = settings or get_settings()
    engine = make_engine(settings.db_url)
    keys = SqlKeyStore(make_engine(settings.key_store_db_url))
    publisher = publisher or KafkaEventPublisher(settings)
    if bus is None:
        if not isinstance(publisher, KafkaEventPublisher):
            raise ValueError("a fake publisher needs a fake command bus")
        bus = KafkaCommandBus(settings, CommandWriter(settings, client_id="aid-api"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the reads of the application layer (asyncio.to_thread): as many at once as the
        # threads FastAPI's own hops may use, not asyncio's default of the cores + 4
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(READ_THREADS, thread_name_prefix="aid-read")
        )
        migrate(engine)
        keys.create()
        keys.adopt(engine)
        start, stop = getattr(bus, "start", None), getattr(bus, "stop", None)
        if start:
            await start()
        if served:  # after migrations, the key store and the command bus: what stays
            freeze_after_startup(settings.gc_freeze, settings.gc_threshold)
        yield
        await app.state.services.imports.stop()
        if stop:
            await stop()
        close = getattr(publisher, "close", None)
        if close:
            close()
        engine.dispose()
        keys.engine.dispose()

    app = FastAPI(title="AidLedger", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    personal = PersonalData(keys, settings.master_key)
    app.state.services = Services(settings, engine, publisher, bus, personal)
    app.state.metrics = ApiMetrics(app.state.services)
    app.add_middleware(RequestCosts)  # inside the metrics: its 401s and 413s are counted
    app.add_middleware(RequestMetrics, metrics=app.state.metrics)
    app.add_middleware(CorrelationIds)
    app.add_middleware(CommandTimings, every=settings.command_timing_sample)
    if settings.trusted_proxies:  # outermost: everything inside sees the real client and scheme
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    install_error_handlers(app)
    for module in (
        health,
        reference,
        stock,
        inventory,
        kits,
        alerts,
        household_imports,  # before households: its paths are more specific
        households,
        campaigns,
        slots,
        distributions,
        relief,
        pledges,
        deployments,
        requisitions,
        reports,
        social_watch,
        history,
        ledger,
        users,
    ):
        app.include_router(module.router)
    install_web_ui(app)
    app.openapi = lambda: describe(app)  # type: ignore[method-assign]
    return app


def create_served_app() -> FastAPI:
    """The API as `aid api` serves it (uvicorn's factory)."""
    return create_app(served=True)
