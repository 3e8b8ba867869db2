"""What routes need, wired once per app: settings, database, publisher, the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from anyio import CapacityLimiter
from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from api.auth import FailurePenalty, User, find_user, unauthenticated
from events.base import SLUG_PATTERN, UUID_PATTERN
from services.app.ports import CommandBus
from services.domain.privacy import PersonalData
from services.runtime.publisher import EventPublisher, Position
from services.runtime.settings import Settings


@dataclass
class Services:
    """The process-wide collaborators of the API."""

    settings: Settings
    engine: Engine
    publisher: EventPublisher
    bus: CommandBus
    personal: PersonalData
    penalty: FailurePenalty = field(default_factory=FailurePenalty)
    # Argon2id costs ~64 MiB and a core for a moment: at most two password checks at once,
    # whatever the number of sign-ins (the others wait their turn).
    password_checks: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(2))
    last_written: dict[tuple[str, int], int] = field(default_factory=dict)

    def wrote(self, position: Position) -> None:
        """Remember the newest position this process wrote, per partition."""
        key = (position.stream, position.partition)
        self.last_written[key] = max(position.offset, self.last_written.get(key, -1))


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

_bearer = HTTPBearer(auto_error=False, description="The token printed by `aid users create`.")


async def current_user(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The caller, authenticated by bearer token; 401 otherwise (slowed after failures)."""
    client = request.client.host if request.client else "unknown"
    await services.penalty.before(client)
    if credentials is None:
        services.penalty.failed(client)
        raise unauthenticated()
    user = await run_in_threadpool(
        find_user, services.engine, credentials.credentials, services.settings.token_pepper
    )
    if user is None:
        services.penalty.failed(client)
        raise unauthenticated()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def now() -> datetime:
    """The moment a request is taken in: read once, at the edge."""
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(now)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=f"({SLUG_PATTERN})|({UUID_PATTERN})",
        description="The id of the new thing, when the body has none (a UUID or a slug).",
    ),
]
