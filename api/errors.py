"""Errors a user can cause, each with a code, a status and a message that says what to do."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from projections.paging import BadCursor
from services.app.errors import (
    AppError,
    BrokerUnavailable,
    Conflict,
    Forbidden,
    Invalid,
    NotDecided,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)

__all__ = [
    "STATUS",
    "ApiError",
    "AppError",
    "Conflict",
    "Forbidden",
    "Invalid",
    "NotFound",
    "Unauthenticated",
    "install_error_handlers",
    "status_of",
]


ApiError = AppError  # the name the API has always used for the application's errors

# Each kind of error the application layer raises, as an HTTP status.
STATUS: dict[type[AppError], int] = {
    Invalid: 422,
    NotFound: 404,
    Conflict: 409,
    Unauthenticated: 401,
    Forbidden: 403,
    TooManyRequests: 429,
    NotDecided: 503,
}


def status_of(exc: AppError) -> int:
    """The HTTP status that answers an application error (400 for a kind not listed)."""
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def _validation_body(exc: RequestValidationError | ValidationError) -> dict[str, Any]:
    """The errors by field, in words; never the values given (they may be personal)."""
    for e in exc.errors():
        if e["type"] == "json_invalid":  # its loc is ("body", offset): not a field
            reason = e.get("ctx", {}).get("error", "not JSON")
            offset = e["loc"][-1]
            at = f" (at character {offset})" if isinstance(offset, int) else ""
            return _unreadable("invalid_json", f"the body is not valid JSON: {reason}{at}")
    skip = 1 if isinstance(exc, RequestValidationError) else 0  # "body", "query"…
    errors = []
    for e in exc.errors():
        where = [str(p) for p in e["loc"]]
        errors.append({"field": ".".join(where[skip:]) or ".".join(where) or "body",
                       "message": e["msg"]})  # fmt: skip
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    return {
        "error": "invalid_request",
        "message": f"{first['field']}: {first['message']}",
        "field": first["field"],
        "errors": errors,
    }


def invalid_of(exc: RequestValidationError | ValidationError) -> Invalid:
    """A request's invalid fields as the application's Invalid (a page shows it)."""
    body = _validation_body(exc)
    invalid = Invalid(body["message"], field=body["field"])
    invalid.error = body["error"]
    return invalid


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure to a JSON answer: 4xx for the caller's mistakes, 503 for outages."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        if retry := exc.details.get("retry_after"):
            headers["Retry-After"] = str(retry)
        return JSONResponse(exc.body(), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_validation_body(exc), status_code=422)

    @app.exception_handler(ValidationError)
    async def _invalid_inside(_: Request, exc: ValidationError) -> JSONResponse:
        """Input a handler validated itself (a page's form, a record of a batch)."""
        return JSONResponse(_validation_body(exc), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, (ValueError, RecursionError)):
            # FastAPI's "There was an error parsing the body": not UTF-8, or nested too deep
            return JSONResponse(_unparsable(exc.__cause__), status_code=422)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(BadCursor)
    async def _bad_cursor(_: Request, exc: BadCursor) -> JSONResponse:
        body = {"error": "invalid_cursor", "message": str(exc), "field": "cursor"}
        return JSONResponse(body, status_code=422)

    @app.exception_handler(BrokerUnavailable)
    async def _kafka_down(_: Request, exc: BrokerUnavailable) -> JSONResponse:
        # part of a large write may be in the log already: the same ids make a retry safe
        return _unavailable(
            "the event log (Kafka) is unreachable; what was not confirmed may not be recorded, "
            "and sending it again with the same ids records nothing twice"
        )

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError) -> JSONResponse:
        return _unavailable("the read-model database is unreachable")


def _unreadable(error: str, why: str) -> dict[str, Any]:
    """A body that is no JSON at all: named `body`, never quoted (it may be personal)."""
    message = f"{why}; send one JSON object, encoded as UTF-8"
    return {"error": error, "message": message, "field": "body",
            "errors": [{"field": "body", "message": message}]}  # fmt: skip


def _unparsable(cause: BaseException) -> dict[str, Any]:
    if isinstance(cause, UnicodeDecodeError):
        return _unreadable("invalid_body", "the body is not UTF-8 text")
    if isinstance(cause, RecursionError):
        return _unreadable("invalid_body", "the body nests too deeply to be read")
    return _unreadable("invalid_body", "the body could not be read as JSON")


def _unavailable(message: str) -> JSONResponse:
    return JSONResponse(
        {"error": "unavailable", "message": f"{message}; retry in a few seconds"},
        status_code=503,
        headers={"Retry-After": "5"},
    )
