"""Base class and shared field types of every event."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

Identifier = Annotated[
    str,
    Field(
        pattern=f"({SLUG_PATTERN})|({UUID_PATTERN})",
        description="A UUID or a slug: lower-case letters, digits, '.', '_' or '-', at most 64.",
    ),
]
PositiveQuantity = Annotated[int, Field(gt=0, lt=10**9, strict=True)]
SignedQuantity = Annotated[int, Field(gt=-(10**9), lt=10**9, strict=True)]


class Event(BaseModel):
    """A fact that happened. Subclasses name the stream they live in and their aggregate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    STREAM: ClassVar[str]

    @property
    def aggregate_id(self) -> str:
        """The key of the aggregate whose invariants this event belongs to."""
        raise NotImplementedError
