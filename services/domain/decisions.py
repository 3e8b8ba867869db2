"""How a decider says no: a refusal (409, the facts forbid it) or a rejection (422)."""

from __future__ import annotations

from typing import Any, Literal


class DomainError(Exception):
    """A command that cannot be carried out; `code` is machine-readable."""

    kind: Literal["refused", "rejected"] = "refused"

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class Refused(DomainError):
    """The current facts forbid the command (HTTP 409)."""

    kind: Literal["refused", "rejected"] = "refused"


class Rejected(DomainError):
    """The command itself is wrong whatever the facts (HTTP 422)."""

    kind: Literal["refused", "rejected"] = "rejected"
