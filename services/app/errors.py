"""The errors a use case raises: a machine-readable code and words a person can act on.

They carry no HTTP status; `api.errors` maps each kind to one (422, 404, 409, 401, 403, 503).
"""

from __future__ import annotations

import math
from typing import Any


class AppError(Exception):
    """A request the system will not carry out, and what to do about it."""

    error = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body | self.details


class Invalid(AppError):
    """The request itself is wrong (a field, or something it names that does not exist)."""

    error = "invalid_request"


class NotFound(AppError):
    """The thing the request is about does not exist (or is not visible to the caller)."""

    error = "not_found"


class Conflict(AppError):
    """The facts forbid the request (not enough stock, already dispatched, id taken…)."""

    error = "conflict"

    def __init__(self, message: str, *, error: str = "conflict", **details: Any) -> None:
        super().__init__(message, **details)
        self.error = error


class Unauthenticated(AppError):
    """Nobody known is asking."""

    error = "unauthenticated"


class Forbidden(AppError):
    """The caller's role or scope does not allow this."""

    error = "forbidden"


class TooManyRequests(AppError):
    """The caller asked too often for now; `retry_after` says when to ask again (HTTP 429)."""

    error = "too_many_requests"

    def __init__(self, message: str, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(message, retry_after=seconds)
        self.retry_after = seconds


class NotDecided(AppError):
    """The command's writer faulted on it: nothing was recorded, the command is set aside for
    the operators, and sending it again once the fault is mended decides it (HTTP 503)."""

    error = "not_decided"

    def __init__(self, message: str) -> None:
        super().__init__(message, retry_after=NOT_DECIDED_RETRY_SECONDS)


NOT_DECIDED_RETRY_SECONDS = 60


class BrokerUnavailable(RuntimeError):
    """The log did not answer in time: nothing can be promised about the write, and asking
    again with the same request is safe (the runtime raises it, the API answers 503)."""
