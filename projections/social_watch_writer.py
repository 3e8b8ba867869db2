"""The social watch counted as households register and are assessed again: the registry as
it stands per area, target group and precarity band, and per month the registrations and
assessments with their scores. Counts only: nothing here names or points to a household.

A household counts in the row of every one of its groups and in the '' row (every
household). A profile update moves it from the rows of its profile as written to those of
the update (call `count` after the batch's registrations are written and before its updates
are). One household's registration and updates come in their order on one partition, so the
counts never depend on how partitions interleave.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from events.households import HouseholdProfileUpdated
from projections.sql import upsert
from projections.tables import households, registry_counts, registry_months

EVERY_HOUSEHOLD = ""
NO_SCORE = -1
STANDING_KEYS = ("region_code", "province_code", "target_group", "score_band")
MONTH_KEYS = ("month", "region_code", "province_code", "target_group")
MONTH_COUNTS = ("registered", "assessed", "scored", "score_hundredths")


def score_band(score: float | None) -> int:
    """The tens of a precarity score (0, 10, … 90; 100 is in 90), -1 where none was given."""
    if score is None:
        return NO_SCORE
    return min(int(score // 10) * 10, 90)


def count(
    conn: Connection,
    registered: Sequence[tuple[datetime, Mapping[Any, Any]]],
    updated: Sequence[tuple[datetime, HouseholdProfileUpdated]],
) -> None:
    """Fold a batch's registrations (their rows, with when they happened) and profile
    updates (with when) into the counts."""
    if not (registered or updated):
        return
    standing: Counter[tuple[tuple[Any, ...], str]] = Counter()
    months: Counter[tuple[tuple[Any, ...], str]] = Counter()
    for when, household in registered:
        _stand(standing, household, 1)
        _assess(months, when, household, registered=True)
    latest: dict[str, Mapping[Any, Any]] = {}
    for when, update in updated:
        after = update.model_dump()
        latest[update.household_id] = after
        _assess(months, when, after, registered=False)
    if latest:
        h = households
        columns = (h.c.household_id, h.c.size, h.c.region_code, h.c.province_code, h.c.groups,
                   h.c.precarity_score)  # fmt: skip
        for before in conn.execute(select(*columns).where(h.c.household_id.in_(latest))).mappings():
            _stand(standing, before, -1)
            _stand(standing, latest[before["household_id"]], 1)
    _write(conn, standing, months)


def _rows_of(household: Mapping[Any, Any]) -> list[str]:
    return [EVERY_HOUSEHOLD, *sorted(set(household["groups"]))]


def _stand(
    standing: Counter[tuple[tuple[Any, ...], str]], household: Mapping[Any, Any], sign: int
) -> None:
    area = (household["region_code"], household["province_code"] or "")
    band = score_band(household["precarity_score"])
    for group in _rows_of(household):
        standing[((*area, group, band), "households")] += sign
        standing[((*area, group, band), "people")] += sign * household["size"]


def _assess(
    months: Counter[tuple[tuple[Any, ...], str]],
    when: datetime,
    household: Mapping[Any, Any],
    *,
    registered: bool,
) -> None:
    month = date(when.year, when.month, 1)
    area = (household["region_code"], household["province_code"] or "")
    score = household["precarity_score"]
    for group in _rows_of(household):
        key = (month, *area, group)
        months[(key, "registered")] += int(registered)
        months[(key, "assessed")] += 1
        if score is not None:
            months[(key, "scored")] += 1
            months[(key, "score_hundredths")] += round(score * 100)


def _write(
    conn: Connection,
    standing: Counter[tuple[tuple[Any, ...], str]],
    months: Counter[tuple[tuple[Any, ...], str]],
) -> None:
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for (key, column), n in standing.items():
        row = rows.setdefault(
            key, dict(zip(STANDING_KEYS, key, strict=True)) | {"households": 0, "people": 0}
        )
        row[column] += n
    upsert(conn, registry_counts, list(rows.values()), STANDING_KEYS, add=("households", "people"))
    r = registry_counts
    conn.execute(delete(r).where(r.c.households == 0, r.c.people == 0))
    monthly: dict[tuple[Any, ...], dict[str, Any]] = {}
    for (key, column), n in months.items():
        row = monthly.setdefault(
            key, dict(zip(MONTH_KEYS, key, strict=True)) | dict.fromkeys(MONTH_COUNTS, 0)
        )
        row[column] += n
    upsert(conn, registry_months, list(monthly.values()), MONTH_KEYS, add=MONTH_COUNTS)
