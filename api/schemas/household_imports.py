"""An import of a social registry's export, as the API answers it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import NEXT


class RefusedLine(BaseModel):
    line: int = Field(description="The line's number in the file (the header is line 1).")
    reason: str = Field(description="A code: bad_national_id, unknown_region, missing_field…")
    message: str = Field(description="What is wrong, naming columns (never a person's value).")
    first_line: int | None = Field(default=None, description="Where the same one came first.")
    household_id: str | None = Field(
        default=None, description="The household this person is already registered in."
    )


class ImportPublic(BaseModel):
    import_id: str
    dry_run: bool
    status: str = Field(description="running, done or failed (send the same file to resume).")
    done: bool
    lines_read: int
    registered: int = Field(description="Registered (or, in a dry run, would be).")
    updated: int = Field(
        default=0,
        description="Registered already with this household in another situation (size, "
        "region, province, groups or precarity score), now updated (or, in a dry run, would "
        "be).",
    )
    unchanged: int = Field(description="Already registered with this household, as the line says.")
    refused: int
    refusals: list[RefusedLine] = Field(description="The refused lines, a page at a time.")
    next: str | None = Field(default=None, description=NEXT)
