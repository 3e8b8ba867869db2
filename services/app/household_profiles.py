"""A household as a registration or a profile update gives it (who, its situation, its
members), and how that becomes an event: members counted in plain numbers, notes and the
member list sealed with the personal data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from services.app.errors import Invalid
from services.domain.households.decider import RegisterHousehold, UpdateHouseholdProfile
from services.domain.households.members import Member, as_columns, member_counts

# sealed with the personal fields when given: free text, and who the members are
NOTES = ("housing_notes", "income_notes")
# what a profile update may seal again (identifiers stay: the household is decided under them)
RESEALED = ("head_name", "phone", *NOTES)


@dataclass(frozen=True)
class Household:
    """A household to register: who (sealed before anything is published) and its profile.
    With `members`, `size` is their number (None: counted from them)."""

    id: str
    head_name: str
    size: int | None
    region_code: str
    national_id: str | None = None
    registry_number: str | None = None
    phone: str | None = None
    province_code: str | None = None
    groups: list[str] = field(default_factory=list)
    precarity_score: float | None = None
    site_id: str | None = None
    members: list[Member] | None = None
    housing_notes: str | None = None
    income_notes: str | None = None


@dataclass(frozen=True)
class ProfileUpdate:
    """A household's situation assessed again: its whole anonymous profile (what is left out
    is no longer known: no members given, no member counts), and the personal fields to seal
    again (those left out stand)."""

    household_id: str
    size: int | None
    region_code: str
    province_code: str | None = None
    groups: list[str] = field(default_factory=list)
    precarity_score: float | None = None
    site_id: str | None = None
    members: list[Member] | None = None
    head_name: str | None = None
    phone: str | None = None
    housing_notes: str | None = None
    income_notes: str | None = None


def size_and_counts(
    size: int | None, members: list[Member] | None, now: datetime
) -> tuple[int, dict[str, Any]]:
    """The size, and the member counts of the event (as of `now`), or Invalid naming the
    field: with members, size is their number."""
    if members is None:
        if size is None:
            raise Invalid("give size, or members to count it from", field="size")
        return size, {"members": None}
    if size is not None and size != len(members):
        raise Invalid(
            f"size is {size} but {len(members)} members are listed: give the same number, "
            "or leave size out to count the members",
            field="size",
        )
    for n, member in enumerate(members):
        if member.year_of_birth > now.year:
            raise Invalid("a year of birth is after this year", field=f"members.{n}.year_of_birth")
    return len(members), {"members": member_counts(members, now.date())}


def sealed_extras(body: Household | ProfileUpdate) -> dict[str, Any]:
    """What is sealed besides the identifiers, name and phone: only what was given, so a
    household registered without it seals as it did before."""
    extras: dict[str, Any] = {k: getattr(body, k) for k in NOTES if getattr(body, k)}
    if body.members is not None:
        extras["members"] = [asdict(m) for m in body.members]
    return extras


def as_row(command: RegisterHousehold | UpdateHouseholdProfile) -> dict[str, Any]:
    """The command as the households table will hold it once projected."""
    return command.model_dump(exclude={"members"}) | as_columns(command.members)
