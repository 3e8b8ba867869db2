"""People who use AidLedger: recorded as events so the user list rebuilds like any projection."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from events.base import Event, Identifier

Role = Literal[
    "admin", "coordinator", "operator", "agent", "donor", "auditor", "monitor", "social_worker"
]


class UserCreated(Event):
    """A user was given a role, scopes, a token and perhaps a password (hashes only are kept)."""

    TYPE = "UserCreated"
    STREAM = "users"

    username: Identifier
    role: Role
    warehouses: list[Identifier] = Field(default_factory=list)
    sites: list[Identifier] = Field(default_factory=list)
    donors: list[Identifier] = Field(default_factory=list)
    token_hash: str = Field(min_length=64, max_length=64)
    password_hash: str | None = Field(
        default=None, max_length=255, description="Argon2id of the peppered password, if any."
    )

    @property
    def aggregate_id(self) -> str:
        return self.username


class UserRevoked(Event):
    """A user's token stopped working."""

    TYPE = "UserRevoked"
    STREAM = "users"

    username: Identifier

    @property
    def aggregate_id(self) -> str:
        return self.username


class UserScopesChanged(Event):
    """A user's scopes were replaced: from now on they see and act on these alone."""

    TYPE = "UserScopesChanged"
    STREAM = "users"

    username: Identifier
    warehouses: list[Identifier] = Field(default_factory=list)
    sites: list[Identifier] = Field(default_factory=list)
    donors: list[Identifier] = Field(default_factory=list)

    @property
    def aggregate_id(self) -> str:
        return self.username


class UserPasswordReset(Event):
    """A user was given a new token, a new password, or both (hashes only are kept): the old
    one stops working, and so do the web sessions opened with it."""

    TYPE = "UserPasswordReset"
    STREAM = "users"

    username: Identifier
    token_hash: str | None = Field(
        default=None, min_length=64, max_length=64, description="The new token's keyed hash."
    )
    password_hash: str | None = Field(
        default=None, max_length=255, description="Argon2id of the new peppered password."
    )

    @model_validator(mode="after")
    def _something_new(self) -> UserPasswordReset:
        if self.token_hash is None and self.password_hash is None:
            raise ValueError("a reset gives a new token, a new password, or both")
        return self

    @property
    def aggregate_id(self) -> str:
        return self.username


class SessionEnded(Event):
    """A web session was signed out: its cookie no longer signs anyone in, wherever it is."""

    TYPE = "SessionEnded"
    STREAM = "users"

    username: Identifier
    session_hash: str = Field(min_length=64, max_length=64, description="SHA-256 of its nonce.")

    @property
    def aggregate_id(self) -> str:
        return self.username


class PersonalDataRead(Event):
    """A user was shown a household's personal fields: who, which household and how, never
    the fields themselves (an audit trail for the people whose data it is)."""

    TYPE = "PersonalDataRead"
    STREAM = "users"

    username: Identifier
    household_id: Identifier
    via: Literal["household", "lookup"]

    @property
    def aggregate_id(self) -> str:
        return self.username
