"""Site counts kept as events arrive: per campaign and distribution site, the households it
expects (assigned to it, not erased, admitted by the campaign's rules) by status — waiting,
served, or flagged for a coordinator — as `services.domain.distributions.site_lists` decides
a household's status from its records; and the quantity they are entitled to (each by its
size: `entitlement`), in all and of those still waiting (the quantity still due there).

A batch's households (registered, assessed again, erased, served, voided, resolved) are
judged twice, before the batch and after it, from the rows as they stand, and the
difference is added: whatever order the events came in, the counts then equal a judgment
of the rows. A campaign opened or moved to other regions in the batch is counted whole
again instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select, text

from events.households import (
    AidDistributed,
    CampaignAreasChanged,
    CampaignOpened,
    DistributionVoided,
    DuplicateAccepted,
    DuplicateDistributionFlagged,
    DuplicateVoided,
    HouseholdProfileUpdated,
    HouseholdRegistered,
    LateDistributionFlagged,
    PersonalDataErased,
)
from projections.coverage_writer import counted_terms
from projections.projection import Batch
from projections.sql import among, upsert
from projections.tables import distributions, households, site_counts
from services.domain.distributions.eligibility import (
    CampaignTerms,
    Profile,
    eligibility,
    entitlement,
)
from services.domain.distributions.site_lists import STATUSES, status_of

SITE_COUNTS_LOCK = 0x41_49_44_53  # any constant of its own, for pg_advisory_xact_lock
KEYS = ("campaign_id", "site_id")
COUNTS = ("expected", *STATUSES, "entitled_quantity", "due_quantity")
Judged = Counter[tuple[str, str, str]]  # (campaign, site, count) → households or units
CHUNK = 1000
TOUCHING = (HouseholdRegistered, HouseholdProfileUpdated, PersonalDataErased, AidDistributed,
            DuplicateDistributionFlagged, LateDistributionFlagged, DistributionVoided,
            DuplicateAccepted, DuplicateVoided)  # fmt: skip
CHANGING_ROWS = (HouseholdRegistered, HouseholdProfileUpdated, PersonalDataErased)


@dataclass(frozen=True)
class Touched:
    """What a batch may change: the households whose standing it may change, the campaigns
    it opens or moves (counted whole again), and whether it changes households' rows."""

    households: set[str]
    campaigns: set[str]
    rows_changed: bool


@dataclass(frozen=True)
class Judgement:
    """How a batch's households stand, with the campaigns' terms and the rows it read."""

    counts: Judged
    terms: list[CampaignTerms]
    rows: list[list[Any]]  # a chunk of rows at a time


def touched(batch: Batch) -> Touched:
    found: set[str] = set()
    campaigns: set[str] = set()
    rows_changed = False
    for applied in batch:
        event = applied.event
        if isinstance(event, TOUCHING):
            found.add(event.household_id)
            rows_changed = rows_changed or isinstance(event, CHANGING_ROWS)
        elif isinstance(event, CampaignOpened | CampaignAreasChanged):
            campaigns.add(event.campaign_id)
    return Touched(found, campaigns, rows_changed)


def judge(conn: Connection, batch: Touched, earlier: Judgement | None = None) -> Judgement:
    """How the batch's households stand at each site, in every campaign counted but those it
    opens or moves. `earlier`: their judgement before the batch, in this transaction; its
    terms are taken again (only the batch's own campaigns, left out, change in it), and its
    rows too when the batch changed none."""
    if not batch.households:
        return Judgement(Counter(), [], [])
    if earlier is None:
        terms = counted_terms(conn, exclude=batch.campaigns)
        chunks = _rows(conn, sorted(batch.households))
    elif batch.rows_changed:
        terms, chunks = earlier.terms, _rows(conn, sorted(batch.households))
    else:
        terms, chunks = earlier.terms, earlier.rows
    judged: Judged = Counter()
    for rows in chunks:
        _judge(conn, rows, terms, judged)
    return Judgement(judged, terms, chunks)


def count(conn: Connection, before: Judgement, after: Judgement, recount: Iterable[str]) -> None:
    """Add the difference the batch made, and count its opened or moved campaigns whole."""
    if before.counts == after.counts and not recount:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SITE_COUNTS_LOCK})
    moved: Judged = Counter(after.counts)
    moved.subtract(before.counts)
    s = site_counts
    for campaign_id in recount:
        conn.execute(delete(s).where(s.c.campaign_id == campaign_id))
        terms = [t for t in counted_terms(conn, exclude=()) if t.campaign_id == campaign_id]
        for assigned in _every_assigned(conn):
            _judge(conn, assigned, terms, moved)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for (campaign_id, site_id, counted), n in moved.items():
        if n:
            row = rows.setdefault((campaign_id, site_id), {"campaign_id": campaign_id,
                                  "site_id": site_id} | dict.fromkeys(COUNTS, 0))  # fmt: skip
            row[counted] += n
    upsert(conn, s, list(rows.values()), KEYS, add=COUNTS)
    if any(n < 0 for (_, _, counted), n in moved.items() if counted == "expected"):
        conn.execute(delete(s).where(s.c.expected == 0))  # a site no longer expecting anyone


def _rows(conn: Connection, ids: list[str]) -> list[list[Any]]:
    """The households' rows, a chunk at a time."""
    h = households
    return [
        list(
            conn.execute(
                _assigned().where(among(conn, h.c.household_id, ids[i : i + CHUNK]))
            ).mappings()
        )
        for i in range(0, len(ids), CHUNK)
    ]


def _assigned() -> Any:
    h = households
    columns = (h.c.household_id, h.c.site_id, h.c.region_code, h.c.province_code, h.c.groups,
               h.c.precarity_score, h.c.size)  # fmt: skip
    return select(*columns).where(h.c.site_id.is_not(None), h.c.erased.is_(False))


def _every_assigned(conn: Connection) -> Iterable[list[Any]]:
    """Every household assigned to a site, a chunk at a time by id."""
    h = households
    last: str | None = None
    while True:
        stmt = _assigned() if last is None else _assigned().where(h.c.household_id > last)
        rows = conn.execute(stmt.order_by(h.c.household_id).limit(CHUNK)).mappings().all()
        if not rows:
            return
        last = rows[-1]["household_id"]
        yield list(rows)


def _judge(conn: Connection, rows: Any, terms: list[CampaignTerms], judged: Judged) -> None:
    if not (rows and terms):
        return
    d = distributions
    records: dict[tuple[str, str], list[str]] = defaultdict(list)
    found = select(d.c.campaign_id, d.c.household_id, d.c.status).where(
        d.c.household_id.in_([r["household_id"] for r in rows]),
        d.c.campaign_id.in_([t.campaign_id for t in terms]),
    )
    for campaign_id, household_id, status in conn.execute(found):
        records[(campaign_id, household_id)].append(status)
    for row in rows:
        profile = Profile(row["region_code"], row["province_code"], tuple(row["groups"]),
                          row["precarity_score"])  # fmt: skip
        for t in terms:
            if eligibility(profile, t)[0]:
                status = status_of(records.get((t.campaign_id, row["household_id"]), []))
                entitled = entitlement(t, row["size"])
                judged[(t.campaign_id, row["site_id"], status)] += 1
                judged[(t.campaign_id, row["site_id"], "expected")] += 1
                judged[(t.campaign_id, row["site_id"], "entitled_quantity")] += entitled
                if status == "waiting":
                    judged[(t.campaign_id, row["site_id"], "due_quantity")] += entitled
