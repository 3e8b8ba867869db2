"""What routes need, wired once per app: settings, database, publisher, the caller."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from anyio import CapacityLimiter
from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from starlette.types import Scope

from api.auth import User, find_user, unauthenticated
from api.signed_out import SignedOutHere
from api.throttle import SignInThrottle, client_key
from events.base import SLUG_PATTERN, UUID_PATTERN
from projections.paging import DEFAULT_LIMIT, MAX_LIMIT, Paging
from services.app.import_runs import Imports
from services.app.kept_rows import REFERENCE, USERS, KeptRows
from services.app.limits import RateLimit
from services.app.ports import AuditTrail, CommandBus
from services.domain.privacy import PersonalData
from services.domain.users.credentials import token_hash
from services.runtime.audit import CommandedAudit
from services.runtime.health import CachedCheck, check
from services.runtime.log_reader import read_range
from services.runtime.partitioning import partition_for
from services.runtime.publisher import EventPublisher
from services.runtime.settings import Settings


@dataclass
class Services:
    """The process-wide collaborators of the API."""

    settings: Settings
    engine: Engine
    publisher: EventPublisher
    bus: CommandBus
    personal: PersonalData
    throttle: SignInThrottle = field(default_factory=SignInThrottle)
    # Argon2id costs ~64 MiB and a core for a moment: at most two password checks at once,
    # whatever the number of sign-ins (the others wait their turn).
    password_checks: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(2))
    last_written: dict[tuple[str, int], int] = field(default_factory=dict)
    # An agent looks up the person in front of them: a minute's worth is plenty.
    lookups: RateLimit = field(default_factory=lambda: RateLimit("lookups", 30, 60.0))
    imports: Imports = field(default_factory=Imports)  # the registry imports run here
    signed_out: SignedOutHere = field(default_factory=SignedOutHere)
    health: CachedCheck = field(init=False)
    audit: AuditTrail = field(init=False)
    reference: KeptRows = field(init=False)
    users: KeptRows = field(init=False)

    def __post_init__(self) -> None:
        self.audit = CommandedAudit(self.bus)
        self.reference = KeptRows(REFERENCE, self.settings.reference_cache_seconds)
        self.users = KeptRows(USERS, self.settings.users_cache_seconds)
        # reads the settings at each check: tests point a running app elsewhere
        self.health = CachedCheck(
            lambda: check(self.settings, self.engine), self.settings.health_cache_seconds
        )

    def read_log(
        self, settings: Settings, topic: str, partition: int, first: int, last: int
    ) -> list[tuple[int, bytes | None]]:
        return read_range(settings, topic, partition, first, last)

    def partition_of(self, key: str) -> int:
        return partition_for(key, self.settings.partitions)


# Dependencies are `async def` even when they do not await: FastAPI runs a plain `def` one in
# its thread pool, a hop to a thread and back per request (tests/unit/test_api_dependencies.py).
async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

bearer = HTTPBearer(auto_error=False, description="The token printed by `aid users create`.")


def client_address(scope: Scope) -> str:
    """The caller's address: the peer's, or the one a trusted proxy forwarded."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def authenticate(services: Services, scope: Scope, token: str | None) -> User:
    """The active user holding this bearer token, looked up once per request.

    Failures count against the caller's address (429 past the limit); 401 otherwise."""
    state = scope.setdefault("state", {})
    known = state.get("user")
    if isinstance(known, User):
        return known
    with services.throttle.attempt(client_key(client_address(scope)), held=False) as attempt:
        user = await user_by_token(services, token) if token else None
        if user is None:
            attempt.failed()
            raise unauthenticated()
    state["user"] = user
    return user


async def user_by_token(services: Services, token: str) -> User | None:
    """The active user holding this token: kept a moment (`users_cache_seconds`) once found."""
    pepper = services.settings.token_pepper
    digest = token_hash(token, pepper)
    user: User | None = services.users.get(find_user, digest)
    if user is None:
        user = await asyncio.to_thread(find_user, services.engine, token, pepper)
        if user is not None:
            services.users.keep(find_user, digest, user)
    return user


async def current_user(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The caller, authenticated by bearer token; 401 otherwise (429 after many failures)."""
    token = credentials.credentials if credentials else None
    return await authenticate(services, request.scope, token)


CurrentUser = Annotated[User, Depends(current_user)]


async def now() -> datetime:
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


async def paging(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page, at most {MAX_LIMIT}.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="The `next` of the previous page.")
    ] = None,
) -> Paging:
    return Paging(limit, cursor)


PageOf = Annotated[Paging, Depends(paging)]
