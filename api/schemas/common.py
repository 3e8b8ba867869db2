"""Field types shared by request bodies."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

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


def printable(value: Any) -> Any:
    """The value, unless some text in it holds a control character (ValueError)."""
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            raise ValueError("holds a control character (NUL, escape…): type the text again")
    elif isinstance(value, dict):
        for key, item in value.items():
            printable(key)
            printable(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            printable(item)
    return value


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
