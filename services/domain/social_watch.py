"""The social watch: counts per area and target group that can be shared, and the areas
where precarity grows. Pure: rows in, figures out.

No count under `SMALLEST` is ever shown (1 to 4 households or people could be someone a
reader knows): it is `None`, "fewer than 5". Zero is shown: it identifies no one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

SMALLEST = 5
GROUPS = ("", "children", "women", "elderly", "disability")  # '' for every household
# registrations rising: the last month's over the mean of the three before, by half again
RISING_REGISTRATIONS = 1.5
# precarity rising: the last month's mean score under that of the three before by 5 points
# or more (the lower the score, the more precarious, as campaigns' ceilings read it)
FALLING_SCORE = 5.0


def shown(count: int) -> int | None:
    """The count, or None where it is small enough to point to someone."""
    return None if 0 < count < SMALLEST else count


@dataclass(frozen=True)
class Month:
    """An area's assessments in one month."""

    month: date
    registered: int
    assessed: int
    scored: int
    score_hundredths: int

    @property
    def mean_score(self) -> float | None:
        return None if not self.scored else self.score_hundredths / self.scored / 100


def rising(history: Sequence[Month]) -> list[str]:
    """What is rising in an area, its months in order: 'registrations' when the last month
    registered half as many again as the three before did on average, 'precarity' when its
    mean score fell 5 points or more under theirs. Nothing before four months of history."""
    if len(history) < 4:
        return []
    last, before = history[-1], history[-4:-1]
    found = []
    usual = sum(m.registered for m in before) / 3
    if usual and last.registered >= RISING_REGISTRATIONS * usual:
        found.append("registrations")
    scored = sum(m.scored for m in before)
    if last.mean_score is not None and scored:
        earlier = sum(m.score_hundredths for m in before) / scored / 100
        if earlier - last.mean_score >= FALLING_SCORE:
            found.append("precarity")
    return found
