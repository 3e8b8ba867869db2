"""Users managed by an administrator: created with a role and scopes, their scopes changed,
their credentials reset, revoked. Each is a command to the users' writer, recorded with the
administrator as its actor; a token is made here, handed back once and kept only as a hash."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from events.users import Role
from projections import queries, relief_queries, users_queries
from projections.paging import EVERYTHING, Page, Paging
from services.app.errors import Invalid, NotFound
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, known, wait_for_own_writes
from services.app.sending import Outcome, decide
from services.domain.commands import CommandEnvelope
from services.domain.users import credentials
from services.domain.users.decider import (
    ChangeUserScopes,
    CreateUser,
    EndSession,
    ResetUserPassword,
    RevokeUser,
)
from services.runtime.logs import current_correlation_id

TAKEN = ("username_taken", "this username is taken; choose another")


@dataclass(frozen=True)
class Scopes:
    """The warehouses of an operator, the sites of an agent, the donors of a donor user."""

    warehouses: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    donors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NewUser:
    username: str
    role: str
    scopes: Scopes = Scopes()
    password: str | None = None


@dataclass(frozen=True)
class Issued:
    """A write that gave out a token (None when it gave none): shown once, never kept."""

    outcome: Outcome
    token: str | None


async def list_users(ports: Ports, user: User, paging: Paging = EVERYTHING) -> Page:
    """Every user with role, scopes and whether revoked; never a hash (after this process's
    own writes: an admin sees the user they just created or revoked)."""
    authorize(user, "users.manage")
    await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "users")
    return await in_thread(users_queries.all_users, ports.engine, paging)


async def find_user(ports: Ports, user: User, username: str) -> dict[str, Any]:
    """One user as listed (after this process's own writes), or NotFound."""
    authorize(user, "users.manage")
    await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "users")
    return await current(ports, username)


async def create_user(ports: Ports, user: User, now: datetime, new: NewUser) -> Issued:
    """Create a user with a role and the scopes it uses, and perhaps a web password."""
    authorize(user, "users.manage")
    await scopes_exist(ports, new.scopes)
    token = credentials.new_token()
    command = CreateUser(
        username=new.username,
        role=cast(Role, new.role),
        warehouses=new.scopes.warehouses,
        sites=new.scopes.sites,
        donors=new.scopes.donors,
        token_hash=credentials.token_hash(token, ports.settings.token_pepper),
        password_hash=await _password_hash(ports, new.username, new.password),
    )
    reply = await decide(ports, command, new.username, user, now, reused_id=TAKEN)
    return Issued(Outcome.of(new.username, reply), token)


async def change_scopes(
    ports: Ports, user: User, now: datetime, username: str, scopes: Scopes, command_id: str
) -> Outcome:
    """Replace a user's scopes: what they see changes as soon as it is projected."""
    authorize(user, "users.manage")
    await current(ports, username)
    await scopes_exist(ports, scopes)
    command = ChangeUserScopes(username=username, **_listed(scopes))
    return Outcome.of(username, await decide(ports, command, command_id, user, now))


async def reset_credentials(
    ports: Ports,
    user: User,
    now: datetime,
    username: str,
    command_id: str,
    *,
    password: str | None = None,
    new_token: bool = True,
) -> Issued:
    """Give a user a new token, a new password, or both: the old one stops working, and so
    do the web sessions opened with it."""
    authorize(user, "users.manage")
    if not password and not new_token:
        raise Invalid("give a new password, ask for a new token, or both", field="password")
    await current(ports, username)
    token = credentials.new_token() if new_token else None
    pepper = ports.settings.token_pepper
    command = ResetUserPassword(
        username=username,
        token_hash=credentials.token_hash(token, pepper) if token else None,
        password_hash=await _password_hash(ports, username, password),
    )
    outcome = Outcome.of(username, await decide(ports, command, command_id, user, now))
    return Issued(outcome, None if outcome.repeated else token)


async def revoke_user(
    ports: Ports, user: User, now: datetime, username: str, command_id: str
) -> Outcome:
    """Stop a user's token and web sessions at once (nobody revokes themself)."""
    authorize(user, "users.manage")
    await current(ports, username)
    command = RevokeUser(username=username, by=user.username)
    return Outcome.of(username, await decide(ports, command, command_id, user, now))


async def sign_out(ports: Ports, user: User, now: datetime, session_hash: str) -> None:
    """Record that a web session ended (written before returning, decided a moment later):
    from then on its cookie signs nobody in, wherever it was copied."""
    command = EndSession(username=user.username, session_hash=session_hash)
    envelope = CommandEnvelope.of(
        command, session_hash[:32], user.actor, now, correlation_id=current_correlation_id()
    )
    await ports.bus.submit(command, envelope)


async def current(ports: Ports, username: str) -> dict[str, Any]:
    """The user as projected (after this process's own writes), or NotFound."""
    row = await in_thread(users_queries.user, ports.engine, username)
    if row is None:
        await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "users")
        row = await in_thread(users_queries.user, ports.engine, username)
    if row is None:
        raise NotFound(f"no user {username!r}", error="unknown_user")
    return row


def _listed(scopes: Scopes) -> dict[str, list[str]]:
    return {"warehouses": scopes.warehouses, "sites": scopes.sites, "donors": scopes.donors}


async def scopes_exist(ports: Ports, scopes: Scopes) -> None:
    """Each warehouse and site is a registered location of that kind, each donor registered."""
    for kind, ids in (("warehouse", scopes.warehouses), ("site", scopes.sites)):
        for location_id in ids:
            found = await known(ports, queries.location, location_id, f"{kind}s", kind)
            if found["kind"] != kind:
                raise Invalid(f"{location_id!r} is a {found['kind']}, not a {kind}",
                              field=f"{kind}s")  # fmt: skip
    for donor_id in scopes.donors:
        await known(ports, relief_queries.donor, donor_id, "donors", "donor")


async def _password_hash(ports: Ports, username: str, password: str | None) -> str | None:
    """The hash of a new password (Argon2id, off the event loop), or 422 when it is weak."""
    if not password:
        return None
    settings = ports.settings
    try:
        return await in_thread(
            credentials.hash_password,
            password,
            settings.token_pepper,
            [username, settings.organisation],
        )
    except credentials.WeakPassword as weak:
        refused = Invalid(str(weak), field="password")
        refused.error = "weak_password"
        raise refused from None
