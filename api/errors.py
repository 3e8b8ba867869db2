"""Errors a user can cause, each with a code, a status and a message that says what to do."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from services.publisher import BrokerUnavailable


class ApiError(Exception):
    """A refusal with a machine-readable code and a message a person can act on."""

    status = 400
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


class Invalid(ApiError):
    status = 422
    error = "invalid_request"


class NotFound(ApiError):
    status = 404
    error = "not_found"


class Conflict(ApiError):
    status = 409
    error = "conflict"

    def __init__(self, message: str, *, error: str = "conflict", **details: Any) -> None:
        super().__init__(message, **details)
        self.error = error


class Unauthenticated(ApiError):
    status = 401
    error = "unauthenticated"


class Forbidden(ApiError):
    status = 403
    error = "forbidden"


def _validation_body(exc: RequestValidationError) -> dict[str, Any]:
    errors = [
        {"field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), "message": e["msg"]}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    return {
        "error": "invalid_request",
        "message": f"{first['field']}: {first['message']}",
        "field": first["field"],
        "errors": errors,
    }


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure to a JSON answer: 4xx for the caller's mistakes, 503 for outages."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_validation_body(exc), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            {"error": code, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(BrokerUnavailable)
    async def _kafka_down(_: Request, exc: BrokerUnavailable) -> JSONResponse:
        return _unavailable("the event log (Kafka) is unreachable; nothing was recorded")

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError) -> JSONResponse:
        return _unavailable("the read-model database is unreachable")


def _unavailable(message: str) -> JSONResponse:
    return JSONResponse(
        {"error": "unavailable", "message": f"{message}; retry in a few seconds"},
        status_code=503,
        headers={"Retry-After": "5"},
    )
