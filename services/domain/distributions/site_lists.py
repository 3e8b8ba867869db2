"""Who a distribution site expects in a campaign, and how each household stands there:
waiting, served, or flagged for a coordinator. Pure: rows in, statuses out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

SiteStatus = Literal["waiting", "served", "flagged"]
STATUSES: tuple[SiteStatus, ...] = ("waiting", "served", "flagged")
# the distribution statuses that count as a basket handed (see the registry's read model)
HANDED = frozenset({"accepted", "exception"})


def status_of(records: Iterable[str]) -> SiteStatus:
    """A household's status from the statuses of its records in the campaign: flagged while
    one waits for a coordinator (a second basket, or one handed outside the campaign's
    rules), served once a basket counts, waiting before."""
    statuses = set(records)
    if "duplicate" in statuses:
        return "flagged"
    return "served" if statuses & HANDED else "waiting"
