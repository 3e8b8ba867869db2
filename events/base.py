"""Base class and shared field types of every event."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
IDENTIFIER_PATTERN = f"({SLUG_PATTERN})|({UUID_PATTERN})"

Identifier = Annotated[
    str,
    Field(
        pattern=IDENTIFIER_PATTERN,
        description="A UUID or a slug: lower-case letters, digits, '.', '_' or '-', at most 64.",
    ),
]
_SLUG_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_SLUG_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789._-"
_UUID = re.compile(UUID_PATTERN.removeprefix("^").removesuffix("$"))


def is_identifier(text: str) -> bool:
    """Whether `text` matches IDENTIFIER_PATTERN as pydantic matches it (`$` only at the very
    end), without a regular expression for slugs: the decoders' hot path checks every id."""
    return bool(0 < len(text) <= 64 and text[0] in _SLUG_FIRST and not text.strip(_SLUG_CHARS)) or (
        len(text) == 36 and _UUID.fullmatch(text) is not None
    )


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
