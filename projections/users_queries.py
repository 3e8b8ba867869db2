"""Users as an administrator reads them: role, scopes, whether revoked, whether they have a
web password; never a token or password hash."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from projections.paging import EVERYTHING, Page, Paging, Sort, read_page
from projections.tables import users

_SHOWN = (
    users.c.username, users.c.role, users.c.warehouses, users.c.sites, users.c.donors,
    users.c.revoked, users.c.created_at, users.c.password_hash.is_not(None).label("has_password"),
)  # fmt: skip


def all_users(engine: Engine, paging: Paging = EVERYTHING) -> Page:
    """Every user by name, revoked ones included."""
    return read_page(engine, select(*_SHOWN), [Sort(users.c.username, "username")], paging)


def user(engine: Engine, username: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(*_SHOWN).where(users.c.username == username)).mappings().first()
    return dict(row) if row else None
