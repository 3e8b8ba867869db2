"""Structured logs: one JSON object per line, carrying the correlation id of the work at hand.

A correlation id follows one piece of work across processes: the API takes it from the
`X-Correlation-ID` header (or makes one), puts it in the command it sends, the decider puts it
in the events it records, and every log line written meanwhile carries it.
"""

from __future__ import annotations

import logging
import logging.config
import re
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

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


PERSONAL_FIELDS = frozenset({"national_id", "registry_number", "head_name", "phone"})
REDACTED = "[redacted]"
# What repeats an input's values, each after the words it cannot match without (searched for
# first: most lines have none, and a substring test costs a fraction of a regex's search).
# pydantic repeats what was given; PostgreSQL a refused row's values in its errors' details
# (SQLAlchemy's own echo of the bound values is off: `hide_parameters` in
# `projections.database.make_engine`).
ECHOES = (
    ("input_value=", re.compile(r"input_value=.*, input_type="),
     f"input_value={REDACTED}, input_type="),
    ("Key (", re.compile(r"(Key \([^\n=]*\)=)\(.*\)"), rf"\1({REDACTED})"),
    ("Failing row contains (", re.compile(r"(Failing row contains )\(.*\)"), rf"\1({REDACTED})"),
    ("invalid input ", re.compile(r"(invalid input (?:syntax|value) for [^:\n]*: ).*"),
     rf"\1{REDACTED}"),
)  # fmt: skip


def scrub(text: str) -> str:
    """The text without the input values a validation error or a refused row repeats."""
    for words, echoed, kept in ECHOES:
        if words in text:
            text = echoed.sub(kept, text)
    return text


class PersonalDataFilter(logging.Filter):
    """Keeps what a person typed out of the logs: the values pydantic echoes in a validation
    error (in the message or a traceback) and any argument named like a personal field."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None  # the formatters then print `exc_text`
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, dict):
            record.args = {
                k: REDACTED if k in PERSONAL_FIELDS else _scrubbed(v)
                for k, v in record.args.items()
            }
        elif isinstance(record.args, tuple):
            record.args = tuple(_scrubbed(a) for a in record.args)
        return True


def _scrubbed(value: Any) -> Any:
    if isinstance(value, BaseException | str):
        return scrub(str(value))
    if isinstance(value, dict):
        return {k: REDACTED if k in PERSONAL_FIELDS else v for k, v in value.items()}
    return value


def json_formatter(**options: Any) -> logging.Formatter:
    """python-json-logger's formatter with its options as plain dicts: `dictConfig` hands
    nested ones over as `ConvertingDict`s, which convert every value they are asked for, and
    the formatter asks for its renamed fields on every line."""
    plain: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in options.items()}
    return JsonFormatter(**plain)


def logging_config(settings: Settings) -> dict[str, Any]:
    """A `logging.config.dictConfig` dict: JSON lines on stderr, or text for a terminal."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "correlation": {"()": CorrelationFilter},
            "personal": {"()": PersonalDataFilter},
        },
        "formatters": {
            "json": {
                "()": json_formatter,
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
                "filters": ["correlation", "personal"],
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
