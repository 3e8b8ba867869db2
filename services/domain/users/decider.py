"""The single writer of each username: creates the user once, changes their scopes, resets
their credentials, revokes them. Commands carry hashes only, never a token or a password."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from events import Event, Identifier
from events.users import (
    PersonalDataRead,
    Role,
    SessionEnded,
    UserCreated,
    UserPasswordReset,
    UserRevoked,
    UserScopesChanged,
)
from services.domain.commands import Command
from services.domain.decisions import Refused, Rejected
from services.domain.dispatching import on_message
from services.domain.users.scopes import NAMES, check_scopes, normalised

STREAM = "user-commands"
ScopeList = Annotated[list[Identifier], Field(default_factory=list, max_length=100)]
TokenHash = Annotated[str, Field(min_length=64, max_length=64)]
PasswordHash = Annotated[str, Field(max_length=255)]


class UserCommand(Command):
    STREAM = STREAM

    username: Identifier

    @property
    def aggregate_id(self) -> str:
        return self.username


class CreateUser(UserCommand):
    """A new user with a role, the scopes it uses, a token and perhaps a password."""

    TYPE = "CreateUser"

    role: Role
    warehouses: ScopeList
    sites: ScopeList
    donors: ScopeList
    token_hash: TokenHash
    password_hash: PasswordHash | None = None
    # Only from the command line (`aid users create`): a taken name is created anew (a lost
    # admin token, a rotated pepper). The API never sets it.
    anew: bool = False


class ChangeUserScopes(UserCommand):
    """Replace a user's warehouses, sites or donors (the role stays)."""

    TYPE = "ChangeUserScopes"

    warehouses: ScopeList
    sites: ScopeList
    donors: ScopeList


class ResetUserPassword(UserCommand):
    """Give a user a new token, a new password, or both."""

    TYPE = "ResetUserPassword"

    token_hash: TokenHash | None = None
    password_hash: PasswordHash | None = None

    @model_validator(mode="after")
    def _something_new(self) -> ResetUserPassword:
        if self.token_hash is None and self.password_hash is None:
            raise ValueError("a reset gives a new token, a new password, or both")
        return self


class RevokeUser(UserCommand):
    """Stop a user's token and sessions; `by` is who asks (nobody revokes themself)."""

    TYPE = "RevokeUser"

    by: Identifier | None = None


class RecordPersonalDataRead(UserCommand):
    """`username` was shown a household's personal fields (sent before they are shown)."""

    TYPE = "RecordPersonalDataRead"

    household_id: Identifier
    via: Literal["household", "lookup"]


class EndSession(UserCommand):
    """`username` signed out of the web session whose nonce hashes to `session_hash`."""

    TYPE = "EndSession"

    session_hash: str = Field(min_length=64, max_length=64)


@dataclass(frozen=True)
class Account:
    """A username as its log tells it: no role while nobody was created under it."""

    role: str | None = None
    revoked: bool = False
    warehouses: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    donors: tuple[str, ...] = ()


@on_message
def evolve(state: Account, event: Event) -> Account:
    return state  # sign-outs and reads of personal data change nothing here


@evolve.register
def _(state: Account, event: UserCreated) -> Account:
    """Created (again, from the command line: the new creation replaces the old one)."""
    scopes = (normalised(event.warehouses), normalised(event.sites), normalised(event.donors))
    return Account(event.role, False, *(tuple(s) for s in scopes))


@evolve.register
def _(state: Account, event: UserScopesChanged) -> Account:
    return replace(state, warehouses=tuple(event.warehouses), sites=tuple(event.sites),
                   donors=tuple(event.donors))  # fmt: skip


@evolve.register
def _(state: Account, event: UserRevoked) -> Account:
    return replace(state, revoked=True)


@on_message
def decide(state: Account, command: Command, now: datetime) -> list[Event]:
    raise Rejected("unknown_command", f"the users' writer cannot handle {command.TYPE}")


def _active(state: Account, username: str) -> str:
    """The user's role, unless nobody was created under this name or they were revoked."""
    if state.role is None:
        raise Refused("unknown_user", f"no user {username!r}", username=username)
    if state.revoked:
        raise Refused(
            "user_revoked",
            f"{username!r} was revoked: nothing of theirs changes any more",
            username=username,
        )
    return state.role


@decide.register
def _(state: Account, command: CreateUser, now: datetime) -> list[Event]:
    if state.role is not None and not command.anew:
        raise Refused(
            "username_taken",
            f"the username {command.username!r} is taken; choose another",
            username=command.username,
        )
    check_scopes(command.role, command.warehouses, command.sites, command.donors)
    scopes = {name: normalised(getattr(command, name)) for name in NAMES}
    return [UserCreated(**command.model_dump(exclude={"anew"}) | scopes)]


@decide.register
def _(state: Account, command: ChangeUserScopes, now: datetime) -> list[Event]:
    """The new scopes replace the old ones; the same scopes again record nothing."""
    role = _active(state, command.username)
    check_scopes(role, command.warehouses, command.sites, command.donors)
    new = (normalised(command.warehouses), normalised(command.sites), normalised(command.donors))
    if new == (list(state.warehouses), list(state.sites), list(state.donors)):
        return []
    warehouses, sites, donors = new
    return [UserScopesChanged(username=command.username, warehouses=warehouses, sites=sites,
                              donors=donors)]  # fmt: skip


@decide.register
def _(state: Account, command: ResetUserPassword, now: datetime) -> list[Event]:
    _active(state, command.username)
    return [UserPasswordReset(**command.model_dump())]


@decide.register
def _(state: Account, command: RevokeUser, now: datetime) -> list[Event]:
    if command.by == command.username:
        raise Refused(
            "cannot_revoke_self",
            "nobody revokes themself: ask another admin to do it",
            username=command.username,
        )
    _active(state, command.username)
    return [UserRevoked(username=command.username)]


@decide.register
def _(state: Account, command: RecordPersonalDataRead, now: datetime) -> list[Event]:
    """Recorded whatever the account's state: the read happened (a user revoked a moment
    ago may have been shown the fields), and the trail must say so."""
    return [PersonalDataRead(**command.model_dump())]


@decide.register
def _(state: Account, command: EndSession, now: datetime) -> list[Event]:
    return [SessionEnded(**command.model_dump())]


class UsersDecider:
    """Decides what happens to each user, one writer per username."""

    event_stream: str = "users"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = {
        k.TYPE: k
        for k in (
            CreateUser,
            ChangeUserScopes,
            ResetUserPassword,
            RevokeUser,
            RecordPersonalDataRead,
            EndSession,
        )
    }
    initial = staticmethod(Account)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
