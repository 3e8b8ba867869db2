"""Bearer tokens: keyed hashes compared in constant time, users from the users projection."""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import Engine, select

from api.errors import Unauthenticated
from projections.queries import one_statement
from projections.tables import users
from services.app.permissions import User
from services.domain.users.credentials import fingerprint, token_hash, verify_password


def _active(row: Any) -> User | None:
    if row is None or row.revoked:
        return None
    return User(
        row.username,
        row.role,
        frozenset(row.warehouses),
        frozenset(row.sites),
        frozenset(row.donors),
    )


def find_user(engine: Engine, token: str, pepper: str) -> User | None:
    """The active user holding this token, if any."""
    digest = token_hash(token, pepper)
    with one_statement(engine) as conn:
        row = conn.execute(select(users).where(users.c.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return _active(row)


def find_user_by_password(engine: Engine, username: str, password: str, pepper: str) -> User | None:
    """The active user with this name and password, if any (Argon2id, peppered)."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    stored = row.password_hash if row is not None else None
    if not verify_password(stored, password, pepper):
        return None
    return _active(row)


def active_user(engine: Engine, username: str) -> tuple[User, str] | None:
    """The user by name with a fingerprint of their credentials, unless revoked or unknown.

    The fingerprint changes with the token or the password (a reset, a creation again), so
    a web session opened with the old credentials stops working."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    user = _active(row)
    if row is None or user is None:
        return None
    return user, fingerprint(row.token_hash, row.password_hash)


def unauthenticated() -> Unauthenticated:
    return Unauthenticated("a valid bearer token is required: Authorization: Bearer <token>")
