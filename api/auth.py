"""Bearer tokens: keyed hashes compared in constant time, users from the users projection."""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from api.errors import Forbidden, Unauthenticated
from api.permissions import Scope, grant
from events import Actor
from projections.tables import users
from services.tokens import token_hash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class User:
    """The authenticated caller and the scopes of their role."""

    username: str
    role: str
    warehouses: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()
    donors: frozenset[str] = frozenset()

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.username, role=self.role)

    def locations_for(self, scope: Scope) -> frozenset[str] | None:
        """The locations a scope allows, or None when it allows all of them."""
        if scope is Scope.WAREHOUSES:
            return self.warehouses
        if scope is Scope.SITES:
            return self.sites
        if scope is Scope.LOCATIONS:
            return self.warehouses | self.sites
        return None


def find_user(engine: Engine, token: str, pepper: str) -> User | None:
    """The active user holding this token, if any."""
    digest = token_hash(token, pepper)
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.token_hash == digest)).first()
    if row is None or row.revoked or not hmac.compare_digest(row.token_hash, digest):
        return None
    return User(
        row.username,
        row.role,
        frozenset(row.warehouses),
        frozenset(row.sites),
        frozenset(row.donors),
    )


def authorize(
    user: User, action: str, *, location_id: str | None = None, donor_id: str | None = None
) -> Scope:
    """Refuse with 403 unless the user's role and scope allow the action on this object."""
    scope = grant(user.role, action)
    if scope is None:
        raise Forbidden(f"role {user.role!r} lacks the permission {action!r}", permission=action)
    allowed = user.locations_for(scope)
    if location_id is not None and allowed is not None and location_id not in allowed:
        raise Forbidden(
            f"user {user.username!r} is not assigned to location {location_id!r}",
            permission=action,
        )
    if scope is Scope.DONOR and donor_id is not None and donor_id not in user.donors:
        raise Forbidden(f"donor data of {donor_id!r} belongs to another donor", permission=action)
    return scope


@dataclass
class FailurePenalty:
    """Slows down repeated failed sign-ins from one client: a small, bounded delay."""

    step: float = 0.1
    ceiling: float = 2.0
    window: float = 60.0
    _failures: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    async def before(self, client: str) -> None:
        now = time.monotonic()
        recent = [t for t in self._failures.get(client, []) if now - t < self.window]
        if recent:
            self._failures[client] = recent
            await asyncio.sleep(min(self.ceiling, self.step * len(recent)))

    max_clients: int = 10_000

    def failed(self, client: str) -> None:
        now = time.monotonic()
        self._failures[client].append(now)
        if len(self._failures) > self.max_clients:  # forget clients whose failures are old
            for stale in [c for c, ts in self._failures.items() if now - ts[-1] >= self.window]:
                del self._failures[stale]
        log.warning("failed authentication from %s", client)


def unauthenticated() -> Unauthenticated:
    return Unauthenticated("a valid bearer token is required: Authorization: Bearer <token>")
