"""Field types shared by request bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

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


class Body(BaseModel):
    """Request bodies refuse unknown fields, so typos are reported, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Written(BaseModel):
    """What every write answers besides its own fields."""

    position: str | None = Field(
        default=None, description="Pass as ?after= to a read to see this write."
    )


NEXT = "The cursor of the next page (pass it as `cursor`), or null on the last page."
