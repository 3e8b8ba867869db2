"""People who use AidLedger: recorded as events so the user list rebuilds like any projection."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from events.base import Event, Identifier

Role = Literal["admin", "coordinator", "operator", "agent", "donor", "auditor", "monitor"]


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
