"""Users as an administrator manages them: tokens appear once, in the answer that made them;
hashes never."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas.common import NEXT, Body, ClientId, UtcDatetime, Written
from events.users import Role

ScopeIds = Annotated[list[ClientId], Field(default_factory=list, max_length=100)]
Password = Annotated[
    str | None,
    Field(
        default=None,
        max_length=200,
        description="A web sign-in password: 10 characters or more, not easy to guess. "
        "Only its hash is kept.",
    ),
]
TOKEN = "The user's API token, shown this once: only its hash is kept."


class UserScopes(Body):
    """The scopes of the role: warehouses for an operator, sites for an agent or a social
    worker, donors for a donor user; none for the other roles."""

    warehouses: ScopeIds
    sites: ScopeIds
    donors: ScopeIds


class UserCreate(UserScopes):
    username: ClientId
    role: Role
    password: Password


class CredentialsReset(Body):
    password: Password
    new_token: bool = Field(
        default=True, description="Give the user a new token (the old one stops working)."
    )


class UserPublic(BaseModel):
    username: str
    role: str
    warehouses: list[str]
    sites: list[str]
    donors: list[str]
    revoked: bool
    has_password: bool
    created_at: UtcDatetime


class UserList(BaseModel):
    items: list[UserPublic]
    next: str | None = Field(default=None, description=NEXT)


class UserIssued(Written):
    """A user created: their role, scopes and token."""

    username: str
    role: str
    warehouses: list[str]
    sites: list[str]
    donors: list[str]
    token: str = Field(description=TOKEN)


class CredentialsIssued(Written):
    username: str
    token: str | None = Field(default=None, description=TOKEN + " Null when none was asked.")


class UserChanged(Written):
    username: str
