"""The FastAPI application, assembled from its routers and collaborators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.deps import Services
from api.errors import install_error_handlers
from api.permissions import render_markdown
from api.routes import health, reference, stock
from projections.database import make_engine, migrate
from services.publisher import EventPublisher, KafkaEventPublisher
from services.settings import Settings, get_settings

DESCRIPTION = f"""AidLedger: event-sourced logistics for emergency and social aid.

Every write is an event in Kafka; reads come from projections. Send
`Authorization: Bearer <token>`; pass a write's `position` as `?after=` to a
read to see your own write.

## Permissions

{render_markdown()}
"""


def create_app(
    settings: Settings | None = None, publisher: EventPublisher | None = None
) -> FastAPI:
    """Build the API; tests pass their own settings and publisher."""
    settings = settings or get_settings()
    engine = make_engine(settings.db_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(engine)
        yield
        close = getattr(app.state.services.publisher, "close", None)
        if close:
            close()
        engine.dispose()

    app = FastAPI(title="AidLedger", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.services = Services(settings, engine, publisher or KafkaEventPublisher(settings))
    install_error_handlers(app)
    for module in (health, reference, stock):
        app.include_router(module.router)
    return app
