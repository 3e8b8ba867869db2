"""Field types shared by request bodies."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from events.base import SLUG_PATTERN, UUID_PATTERN

ClientId = Annotated[
    str,
    Field(
        pattern=f"({SLUG_PATTERN})|({UUID_PATTERN})",
        description="A UUID or a slug matching ^[a-z0-9][a-z0-9._-]{0,63}$",
        examples=["wh-casablanca"],
    ),
]
Quantity = Annotated[
    int,
    Field(gt=0, lt=10**9, strict=True, description="A positive whole number below 10^9."),
]
Timestamp = Annotated[AwareDatetime, Field(description="ISO 8601 with a time zone.")]


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]
"""A time read back from the read models (stored in UTC), answered with its zone."""


# Control characters but tab, line feed and carriage return: never typed, and NUL cannot be
# stored in PostgreSQL's text (an event holding one would stop its projections there).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_WORDS = "holds a control character (NUL, escape…): type the text again"


# The same as orjson writes them inside a JSON string: a run of backslashes of odd length
# (an even one is backslashes typed) before `u00XX`, `b` or `f`; DEL as is.
ESCAPED_CONTROL_CHARACTER = re.compile(rb"(\\+)(?:u00(?:0[0-8bcef]|1[0-9a-f])|[bf])")


def _escapes_a_control_character(written: bytes) -> bool:
    if b"\x7f" in written:
        return True
    if b"\\" not in written:  # memchr: the common case costs next to nothing
        return False
    return any(len(m[1]) % 2 for m in ESCAPED_CONTROL_CHARACTER.finditer(written))


def printable(value: Any) -> Any:
    """The value, unless some text in it holds a control character (ValueError). A list or
    a mapping is written out once by orjson and searched in C: walking it in Python cost
    ~17 µs per record of an offline batch."""
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            raise ValueError(CONTROL_WORDS)
    elif isinstance(value, (dict, list, tuple)):
        try:
            written = orjson.dumps(value)
        except TypeError:  # what orjson will not write (an integer past 64 bits): walk it
            _walk(value)
        else:
            if _escapes_a_control_character(written):
                raise ValueError(CONTROL_WORDS)
    return value


def _walk(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            printable(key)
            printable(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            printable(item)
    else:
        printable(value)


class Body(BaseModel):
    """Request bodies refuse unknown fields, so typos are reported, not ignored, and text
    holding control characters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        return printable(value)


class Written(BaseModel):
    """What every write answers besides its own fields."""

    position: str | None = Field(
        default=None, description="Pass as ?after= to a read to see this write."
    )


NEXT = "The cursor of the next page (pass it as `cursor`), or null on the last page."
