"""A household's members: who they are stays sealed, how many of each kind is counted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from events.households import MemberCounts

Sex = Literal["f", "m"]
Relation = Literal["head", "spouse", "child", "parent", "other"]
Disability = Literal["none", "moderate", "severe"]
# the lowest age of each band, and its name in the counts
BANDS = ((60, "60_plus"), (18, "18_59"), (5, "5_17"), (0, "0_4"))


@dataclass(frozen=True)
class Member:
    """One member as the social worker records them: no name, ever."""

    sex: Sex
    year_of_birth: int
    relation: Relation
    disability: Disability = "none"


def age_band(year_of_birth: int, on: date) -> str:
    """The band of the age reached in the year of `on` (the year of birth is all we know)."""
    age = on.year - year_of_birth
    return next(name for lowest, name in BANDS if age >= lowest)


def member_counts(members: Sequence[Member], on: date) -> MemberCounts:
    """The plain numbers a report needs, counted on the day of the event that carries them.
    ValueError when a member is born after that day's year."""
    counts: dict[str, int] = {}
    for member in members:
        if member.year_of_birth > on.year:
            raise ValueError(f"a member born in {member.year_of_birth} is not born yet")
        sex = "females" if member.sex == "f" else "males"
        key = f"{sex}_{age_band(member.year_of_birth, on)}"
        counts[key] = counts.get(key, 0) + 1
        if member.disability != "none":
            counts["disabled_members"] = counts.get("disabled_members", 0) + 1
        if member.disability == "severe":
            counts["severely_disabled_members"] = counts.get("severely_disabled_members", 0) + 1
    return MemberCounts(counted_on=on, **counts)


COUNTS = tuple(name for name in MemberCounts.model_fields if name != "counted_on")


def as_columns(counts: MemberCounts | None) -> dict[str, object]:
    """The counts as a households row holds them: one column each, NULL when not recorded."""
    if counts is None:
        return dict.fromkeys(COUNTS) | {"members_counted_on": None}
    return counts.model_dump(include=set(COUNTS)) | {"members_counted_on": counts.counted_on}


def from_columns(row: Mapping[str, Any]) -> MemberCounts | None:
    """The counts a households row holds, if it holds any."""
    if row.get("members_counted_on") is None:
        return None
    return MemberCounts(counted_on=row["members_counted_on"], **{n: row[n] for n in COUNTS})
