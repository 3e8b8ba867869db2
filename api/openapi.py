"""The OpenAPI description says what the API really answers: error bodies, replays, CSV."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_BODY = {
    "title": "Error",
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "A machine-readable code."},
        "message": {"type": "string", "description": "What happened and what to do."},
        "field": {"type": "string", "description": "The offending field, for a 422."},
    },
    "additionalProperties": True,
}
ERRORS = {
    "400": "The body could not be read (not JSON, not UTF-8).",
    "401": "No valid bearer token.",
    "403": "The role or its scope does not allow this.",
    "404": "No such thing.",
    "409": "Refused by the facts (stock, entitlement, an id already used…).",
    "422": "The request is invalid; `field` names what to fix.",
    "503": "Kafka or the database is unreachable; retry after `Retry-After` seconds.",
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def describe(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI with the errors and replays every route can answer."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_BODY
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "201" in responses:
                responses["200"] = dict(
                    responses["201"], description="The same request again: nothing new."
                )
            wanted = ERRORS if path.startswith("/v1") else {"503": ERRORS["503"]}
            for code, description in wanted.items():
                responses[code] = _error(description)
    app.openapi_schema = schema
    return schema
