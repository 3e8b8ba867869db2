"""Structured logs: one JSON object per line, carrying the correlation id of the work at hand.

A correlation id follows one piece of work across processes: the API takes it from the
`X-Correlation-ID` header (or makes one), puts it in the command it sends, the decider puts it
in the events it records, and every log line written meanwhile carries it.
"""

from __future__ import annotations

import logging
import logging.config
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from services.runtime.settings import Settings

_correlation: ContextVar[str | None] = ContextVar("aid_correlation_id", default=None)
ACCEPTABLE = re.compile(r"[A-Za-z0-9._:@/-]{1,128}")


def current_correlation_id() -> str | None:
    return _correlation.get()


def acceptable_correlation_id(candidate: str | None) -> str:
    """The caller's id when it is a sane token, else a fresh one: logs must not carry junk."""
    if candidate and ACCEPTABLE.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


@contextmanager
def correlated(correlation_id: str | None) -> Iterator[None]:
    """Log lines written inside carry `correlation_id`."""
    token = _correlation.set(correlation_id)
    try:
        yield
    finally:
        _correlation.reset(token)


class CorrelationFilter(logging.Filter):
    """Adds `correlation_id` to every record (None outside any correlated work)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = _correlation.get()
        return True


def logging_config(settings: Settings) -> dict[str, Any]:
    """A `logging.config.dictConfig` dict: JSON lines on stderr, or text for a terminal."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"correlation": {"()": CorrelationFilter}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s %(correlation_id)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",  # ISO 8601 in UTC
            },
            "text": {
                "format": "%(asctime)s %(levelname)-7s %(name)s [%(correlation_id)s] %(message)s"
            },
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": settings.log_format,
                "filters": ["correlation"],
            }
        },
        "root": {"level": settings.log_level, "handlers": ["stderr"]},
        "loggers": {
            # The API logs one line per request itself, with its correlation id.
            "uvicorn.access": {"level": "WARNING"},
            "uvicorn": {"level": settings.log_level, "propagate": True, "handlers": []},
            "uvicorn.error": {"level": settings.log_level, "propagate": True, "handlers": []},
        },
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))
