"""Reading a social registry's export: one household per CSV line, checked before anything
is registered. Pure: no I/O beyond the text it is given, no clock, no keys.

Every refusal names the line and a reason code; its message names columns, never the
value found there (a national ID, a name or a phone must not reach a report or a log).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from events.base import SLUG_PATTERN, UUID_PATTERN
from services.domain.households.members import Disability, Member, Relation, Sex

COLUMNS = ("id", "national_id", "registry_number", "head_name", "phone", "size",
           "region_code", "province_code", "groups", "precarity_score", "site_id",
           "members")  # fmt: skip
REQUIRED_COLUMNS = ("head_name", "region_code")  # and size, unless members count it
GROUPS = ("children", "women", "elderly", "disability")
CIN = re.compile(r"^[A-Za-z]{1,2}[0-9]{1,8}$")
REGISTRY = re.compile(r"^[A-Za-z0-9-]{4,32}$")
PHONE = re.compile(r"^\+?[0-9 ]{6,20}$")
NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
CLIENT_ID = re.compile(f"({SLUG_PATTERN})|({UUID_PATTERN})")
# Areas known from the reference data: region code -> its province codes.
Areas = Mapping[str, frozenset[str]]
# Distribution sites known from the reference data: site id -> its region code.
Sites = Mapping[str, str]
# An area the reference data does not know, by the field naming it: the reason, the words.
UNKNOWN_AREA = {
    "region_code": ("unknown_region", "region_code is not a region of the reference data"),
    "province_code": ("unknown_province", "province_code is not a province of that region"),
}


class UnreadableFile(ValueError):
    """The file cannot be imported at all (no header, or a required column missing)."""


@dataclass(frozen=True)
class Line:
    """A valid line: the household as the registry gave it, personal fields included."""

    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Refusal:
    """A line that is not imported, and why (`first_line`: where the same one came first)."""

    line: int
    reason: str
    message: str
    first_line: int | None = None
    household_id: str | None = None


class LineError(ValueError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


def read(
    lines: Iterable[str], areas: Areas, sites: Sites | None = None
) -> Iterator[Line | Refusal]:
    """Each data line of the CSV text, checked, in order; blank lines are skipped.

    `lines` is the text line by line (a file opened with `newline=""`), read as it goes;
    the header is read at once (UnreadableFile when it will not do)."""
    reader = csv.reader(iter(lines))
    columns = _header(next(reader, None))
    return _rows(reader, columns, areas, sites or {})


def _rows(reader: Any, columns: list[str], areas: Areas, sites: Sites) -> Iterator[Line | Refusal]:
    ended = reader.line_num
    for row in reader:
        start, ended = ended + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        try:
            yield Line(start, check(_cells(columns, row), areas, sites))
        except LineError as error:
            yield Refusal(start, error.reason, error.message)


def _header(header: list[str] | None) -> list[str]:
    if not header:
        raise UnreadableFile("the file is empty: it needs a header line naming its columns")
    columns = [name.strip().lstrip("\ufeff") for name in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing or not {"national_id", "registry_number"} & set(columns):
        needed = ", ".join(missing) or "national_id or registry_number"
        raise UnreadableFile(f"the header line lacks {needed}")
    return columns


def _cells(columns: list[str], row: list[str]) -> dict[str, str]:
    if len(row) != len(columns):
        raise LineError("bad_line", f"{len(row)} cells where the header has {len(columns)}")
    if any("\ufffd" in cell for cell in row):
        raise LineError("bad_encoding", "the line is not valid UTF-8")
    return {c: v.strip() for c, v in zip(columns, row, strict=True) if c in COLUMNS}


def check(cells: Mapping[str, str], areas: Areas, sites: Sites | None = None) -> dict[str, Any]:
    """The household's fields from one line's cells, or LineError naming the first fault
    (`site_id` only when the file has that column: without it, a site assigned stands)."""
    for name in REQUIRED_COLUMNS:
        if not cells.get(name):
            raise LineError("missing_field", f"{name} is empty")
    national_id = _cin(cells.get("national_id", ""))
    registry = cells.get("registry_number") or None
    if not (national_id or registry):
        raise LineError("missing_field", "give national_id or registry_number (or both)")
    _match(national_id, CIN, "bad_national_id", "national_id is not a CIN (letters, digits)")
    _match(registry, REGISTRY, "bad_registry_number", "registry_number: 4-32 letters or digits")
    _match(cells["head_name"], NAME, "bad_name", "head_name has control characters or is long")
    phone = cells.get("phone") or None
    _match(phone, PHONE, "bad_phone", "phone: digits and spaces, 6 to 20")
    _match(cells.get("id") or None, CLIENT_ID, "bad_id", "id is not a UUID nor a lower-case slug")
    region, province = cells["region_code"], cells.get("province_code") or None
    members = _members(cells.get("members") or "")
    size = _counted(cells.get("size") or "", members)
    _area(region, province, areas)
    return {
        "id": cells.get("id") or None,
        "national_id": national_id,
        "registry_number": registry,
        "head_name": cells["head_name"],
        "phone": phone,
        "size": size,
        "members": members,
        "region_code": region,
        "province_code": province,
        "groups": _groups(cells.get("groups", "")),
        "precarity_score": _score(cells.get("precarity_score") or None),
    } | ({"site_id": _site(cells["site_id"] or None, region, sites or {})}
         if "site_id" in cells else {})  # fmt: skip


def _cin(text: str) -> str | None:
    """A CIN as the registry wrote it, without the spaces or dashes some exports put in."""
    return re.sub(r"[\s-]", "", text).upper() or None


def _match(value: str | None, pattern: re.Pattern[str], reason: str, message: str) -> None:
    if value is not None and not pattern.fullmatch(value):
        raise LineError(reason, message)


def _size(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise LineError("bad_number", "size must be a whole number from 1 to 100")
    return int(text)


def _score(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        score = float(text.replace(",", "."))
    except ValueError:
        score = -1.0
    if not 0 <= score <= 100:  # also refuses nan
        raise LineError("bad_number", "precarity_score must be a number from 0 to 100")
    return score


def unknown_area(region: str, province: str | None, areas: Areas) -> str | None:
    """The field naming an area the reference data does not know (`region_code`, or
    `province_code` when it is not one of that region's), or None: the one rule for a
    household's area, whether it is imported or registered one at a time. A location's
    province is optional: where none of a region's names one, any province stands."""
    if region not in areas:
        return "region_code"
    if province is not None and areas[region] and province not in areas[region]:
        return "province_code"
    return None


def _area(region: str, province: str | None, areas: Areas) -> None:
    if (field_name := unknown_area(region, province, areas)) is not None:
        raise LineError(*UNKNOWN_AREA[field_name])


def _counted(size: str, members: list[Member] | None) -> int:
    """The size the line gives, or the number of its members; both given, they agree."""
    if members is None:
        if not size:
            raise LineError("missing_field", "size is empty (give size, or members)")
        return _size(size)
    if size and _size(size) != len(members):
        raise LineError("bad_members", "size is not the number of members listed")
    return len(members)


def _members(text: str) -> list[Member] | None:
    """Members written `sex/year of birth/relation[/disability]`, separated by `;` (None:
    not given). The message names the member's place in the list, never its values."""
    if not text.strip():
        return None
    found: list[Member] = []
    for n, entry in enumerate(text.split(";"), start=1):
        parts = [p.strip().lower() for p in entry.split("/")]
        if len(parts) == 3:
            parts.append("none")
        sex, year, relation, disability = parts if len(parts) == 4 else ("", "", "", "")
        if (
            sex not in get_args(Sex)
            or not year.isdigit()
            or not 1900 <= int(year) <= 2100
            or relation not in get_args(Relation)
            or disability not in get_args(Disability)
        ):
            raise LineError(
                "bad_members",
                f"member {n}: write sex/year of birth/relation"
                "[/disability], e.g. f/1975/head or m/1950/spouse/severe",
            )
        found.append(Member(sex, int(year), relation, disability))  # type: ignore[arg-type]
    if len(found) > 100:
        raise LineError("bad_members", "more than 100 members")
    if sum(m.relation == "head" for m in found) > 1:
        raise LineError("bad_members", "members: at most one head of household")
    return found


def _site(site: str | None, region: str, sites: Sites) -> str | None:
    if site is not None and site not in sites:
        raise LineError("unknown_site", "site_id is not a distribution site of the reference data")
    if site is not None and sites[site] != region:
        raise LineError("site_elsewhere", "site_id is a site of another region than region_code")
    return site


def _groups(text: str) -> list[str]:
    groups = [g.strip() for g in text.split(";") if g.strip()]
    if any(g not in GROUPS for g in groups):
        raise LineError("bad_group", f"groups: a ';'-separated list of {', '.join(GROUPS)}")
    return sorted(set(groups), key=GROUPS.index)


@dataclass
class FirstSeen:
    """Which line first named each person (by a number derived from a keyed pseudonym) or
    household id: a later line naming the same one is refused, pointing at the first.
    Numbers rather than strings, so a million lines stay well under a hundred megabytes."""

    lines: dict[int, int] = field(default_factory=dict)

    def earlier(self, keys: Iterable[int]) -> int | None:
        """The first line that had any of these keys, if any."""
        return next((self.lines[k] for k in keys if k in self.lines), None)

    def note(self, line: int, keys: Iterable[int]) -> None:
        for key in keys:
            self.lines.setdefault(key, line)
