"""Coverage counted as events arrive: per campaign × region × province, the households its
rules admit, the quantity they are entitled to (each by its size: `entitlement`), the
households it reached and the quantity handed out; and, for the
distributions report, per campaign, day, site, item and area, the households served and the
quantity.

A batch's new campaigns are counted whole from the households and distributions already
written; its new households and distributions add to the campaigns counted before. Which
comes first in the log does not matter: a household registered before its campaign is met
by the campaign's count, one registered after adds itself; a change of the campaign's areas
counts its eligible households again; a change of a household's profile moves it from the
campaigns and areas its old profile was eligible for to those of the new (and its
entitlement from its old size to its new, even where it stays eligible). A household is
reached once per campaign, in the area its first counted basket (by time, then id) was
handed in: every distribution carries the household's region and province of that day, and
a household that moved has baskets of two areas; the first decides, whatever order they
came in (a basket that comes late but was handed first moves the household there). Two
writers of this projection (two workers) take a lock first, so each counts after the other's
rows are visible.

The same counts per target group (`coverage_group_counts`): a household counts in each of
its groups, as households and as people (its size), eligible where the campaign admits it
and reached where it is reached; its groups and size are those it has now, so a profile
update moves it between groups (eligible and reached alike).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, select, text, update

from events.households import (
    CampaignAreasChanged,
    CampaignOpened,
    HouseholdProfileUpdated,
    HouseholdRegistered,
    LargerHouseholds,
)
from projections.sql import among, not_among, upsert
from projections.tables import (
    COUNTED,
    coverage_counts,
    coverage_group_counts,
    coverage_terms,
    distribution_days,
    distributions,
    households,
)
from services.domain.distributions.eligibility import (
    CampaignTerms,
    Profile,
    eligibility,
    entitlement,
)

COVERAGE_LOCK = 0x41_49_44_43  # any constant of its own, for pg_advisory_xact_lock
COUNTS = ("eligible_households", "entitled_quantity", "reached_households", "quantity")
GROUP_COUNTS = ("eligible_households", "eligible_people", "reached_households", "reached_people")
Area = tuple[str, str, str]  # campaign, region, province ('' for none)
GroupArea = tuple[str, str, str, str]  # an area and a target group
Standing = Mapping[str, Mapping[Any, Any]]  # household id → its row's groups and size


@dataclass
class _Tally:
    """What a batch adds to the counts, per area and per area × target group."""

    areas: Counter[tuple[Area, str]] = field(default_factory=Counter)
    groups: Counter[tuple[GroupArea, str]] = field(default_factory=Counter)

    def eligible(self, area: Area, household: Mapping[Any, Any], entitled: int, sign: int) -> None:
        self.areas[(area, "eligible_households")] += sign
        self.areas[(area, "entitled_quantity")] += sign * entitled
        self.in_groups(area, household, "eligible", sign)

    def reached(self, area: Area, household: Mapping[Any, Any] | None, sign: int) -> None:
        self.areas[(area, "reached_households")] += sign
        if household is not None:
            self.in_groups(area, household, "reached", sign)

    def handed(self, area: Area, quantity: int) -> None:
        self.areas[(area, "quantity")] += quantity

    def in_groups(self, area: Area, household: Mapping[Any, Any], what: str, sign: int) -> None:
        for group in set(household["groups"]):
            self.groups[((*area, group), f"{what}_households")] += sign
            self.groups[((*area, group), f"{what}_people")] += sign * household["size"]

    def campaigns(self) -> set[str]:
        return {area[0] for area, _ in self.areas} | {area[0] for area, _ in self.groups}


def count(
    conn: Connection,
    opened: Sequence[CampaignOpened],
    registered: Sequence[HouseholdRegistered],
    handed: Sequence[dict[str, Any]],
) -> None:
    """Fold one batch's campaigns, households and accepted distributions (their rows, as
    written) into the counts; call it after the batch's households and distributions are
    written."""
    if not (opened or registered or handed):
        return
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": COVERAGE_LOCK})
    new = {c.campaign_id for c in opened}
    upsert(conn, coverage_terms, [_terms_row(c) for c in opened], ["campaign_id"])
    known = counted_terms(conn, exclude=new)
    added = _Tally()
    for campaign in opened:
        _count_whole(conn, campaign.campaign_id, _as_terms(campaign), added)
    for household in (h.model_dump() for h in registered):
        for terms in known:
            _admit(household, terms, added, 1)
    counted = {t.campaign_id for t in known}
    _reach_late_registered(conn, registered, counted, handed, added)
    _count_handed(conn, [d for d in handed if d["campaign_id"] in counted], added)
    _write(conn, added)
    _count_days(conn, handed)


def count_exceptions(conn: Connection, accepted: Sequence[str]) -> None:
    """Mark flagged duplicates (written before) accepted as exceptions and count them as
    accepted distributions: their quantity, and their household reached once per campaign
    (and per day, site, item and area), never twice."""
    if not accepted:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": COVERAGE_LOCK})
    d = distributions
    flagged = select(d).where(d.c.distribution_id.in_(accepted), d.c.status == "duplicate")
    rows = [dict(r) for r in conn.execute(flagged).mappings()]
    if not rows:
        return
    ids = [r["distribution_id"] for r in rows]
    conn.execute(update(d).where(d.c.distribution_id.in_(ids)).values(status="exception"))
    count(conn, (), (), rows)


def uncount(conn: Connection, voided: Sequence[str]) -> None:
    """Mark a batch's voided distributions (written before, by this batch or an earlier one)
    and take them out of the counts: their quantity, and their household from those reached
    (per campaign, and per day, site, item and area) unless another accepted distribution
    of theirs still counts there (per campaign, it is then reached where that one was
    handed)."""
    if not voided:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": COVERAGE_LOCK})
    d = distributions
    rows = [
        dict(r)
        for r in conn.execute(
            select(d).where(d.c.distribution_id.in_(voided), d.c.status.in_(COUNTED))
        ).mappings()
    ]
    if not rows:
        return
    counted = {t.campaign_id for t in counted_terms(conn, exclude=())}
    pairs = {(r["campaign_id"], r["household_id"]) for r in rows if r["campaign_id"] in counted}
    reached_before = _first_served(conn, pairs)
    conn.execute(
        update(d)
        .where(d.c.distribution_id.in_([r["distribution_id"] for r in rows]))
        .values(status="voided")
    )
    remaining = [
        dict(r)
        for r in conn.execute(
            select(d).where(
                among(conn, d.c.household_id, {r["household_id"] for r in rows}),
                d.c.status.in_(COUNTED),
            )
        ).mappings()
    ]
    # a household still served that day there
    still_that_day = {(_day_of(r), r["household_id"]) for r in remaining}
    taken = _Tally()
    standing = _standing(conn, {household for _, household in pairs})
    _move_reached(reached_before, _first_served(conn, pairs), standing, taken)
    days: dict[Day, dict[str, Any]] = {}
    for row in rows:
        day = _day_of(row)
        if row["campaign_id"] in counted:
            taken.handed(_area(row["campaign_id"], row), -row["quantity"])
        counts = days.setdefault(day, dict(zip(DAY_KEYS, day, strict=True)) | DAY_ZERO)
        counts["quantity"] -= row["quantity"]
        if (day, row["household_id"]) not in still_that_day:
            counts["households"] -= 1
            still_that_day.add((day, row["household_id"]))
    _write(conn, taken)
    upsert(conn, distribution_days, list(days.values()), DAY_KEYS, add=list(DAY_ZERO))
    _forget_emptied(conn, taken.campaigns(), list(days))


def _forget_emptied(conn: Connection, campaigns: set[str], days: list[Day]) -> None:
    """Rows a void or a move brought back to nothing go, as if never written: the counts
    then hold the same rows whatever order the campaign, the distribution and its void came
    in."""
    c, g, n = coverage_counts, coverage_group_counts, distribution_days
    if campaigns:
        conn.execute(
            delete(c).where(
                c.c.campaign_id.in_(campaigns), *(c.c[column] == 0 for column in COUNTS)
            )
        )
        conn.execute(
            delete(g).where(
                g.c.campaign_id.in_(campaigns), *(g.c[column] == 0 for column in GROUP_COUNTS)
            )
        )
    for day in days:
        conn.execute(
            delete(n).where(
                *(n.c[key] == value for key, value in zip(DAY_KEYS, day, strict=True)),
                n.c.households == 0,
                n.c.quantity == 0,
            )
        )


def retarget(conn: Connection, changed: CampaignAreasChanged) -> None:
    """A campaign's eligible households counted again under its new areas (call it after
    what came before it is written); those it reached stay reached, wherever they live."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": COVERAGE_LOCK})
    t, c, g = coverage_terms, coverage_counts, coverage_group_counts
    known = conn.execute(select(t).where(t.c.campaign_id == changed.campaign_id)).mappings()
    row = known.first()
    if row is None:
        return
    terms = _rules(dict(row) | {"region_codes": changed.region_codes})
    conn.execute(
        update(t)
        .where(t.c.campaign_id == changed.campaign_id)
        .values(region_codes=changed.region_codes)
    )
    conn.execute(
        update(c)
        .where(c.c.campaign_id == changed.campaign_id)
        .values(eligible_households=0, entitled_quantity=0)
    )
    conn.execute(
        update(g)
        .where(g.c.campaign_id == changed.campaign_id)
        .values(eligible_households=0, eligible_people=0)
    )
    added = _Tally()
    _count_eligible(conn, changed.campaign_id, terms, added)
    _write(conn, added)
    _forget_emptied(conn, {changed.campaign_id}, [])


def reprofile(conn: Connection, updated: Sequence[HouseholdProfileUpdated]) -> None:
    """Move each household's eligible count, and its entitlement, from the campaigns and
    areas its profile as written was eligible for to those of its last update here (a new
    size alone moves the entitlement); call it before the rows are updated. Whichever came
    first, a campaign or an update, the counts then equal those of the households' current
    rows. Reached counts stay in the areas where distributions were counted, and move from
    the household's old groups and size to its new ones."""
    if not updated:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": COVERAGE_LOCK})
    latest = {u.household_id: u.model_dump() for u in updated}
    h = households
    columns = (h.c.household_id, h.c.size, h.c.region_code, h.c.province_code, h.c.groups,
               h.c.precarity_score)  # fmt: skip
    written = conn.execute(select(*columns).where(among(conn, h.c.household_id, latest))).mappings()
    known = counted_terms(conn, exclude=())
    moved = _Tally()
    regrouped: dict[str, tuple[Mapping[Any, Any], Mapping[Any, Any]]] = {}
    for before in written:
        after = latest[before["household_id"]]
        for terms in known:
            _admit(before, terms, moved, -1)
            _admit(after, terms, moved, 1)
        if _in_groups(before) != _in_groups(after):
            regrouped[before["household_id"]] = (before, after)
    counted = {t.campaign_id for t in known}
    for (campaign_id, household_id), area in _first_served_of(conn, set(regrouped)).items():
        if campaign_id in counted:
            was, now = regrouped[household_id]
            moved.in_groups(area, was, "reached", -1)
            moved.in_groups(area, now, "reached", 1)
    _write(conn, moved)
    _forget_emptied(conn, moved.campaigns(), [])


def _in_groups(household: Mapping[Any, Any]) -> tuple[frozenset[str], int]:
    """What a household's group counts depend on: its groups and its size."""
    return frozenset(household["groups"]), household["size"]


def _count_eligible(
    conn: Connection, campaign_id: str, terms: CampaignTerms, added: _Tally
) -> None:
    h = households
    found = select(h.c.size, h.c.region_code, h.c.province_code, h.c.groups, h.c.precarity_score)
    if terms.region_codes:
        found = found.where(h.c.region_code.in_(terms.region_codes))
    for row in conn.execute(found).mappings():
        _admit(row, terms, added, 1)


def _admit(household: Mapping[Any, Any], terms: CampaignTerms, added: _Tally, sign: int) -> None:
    """The household counted (sign 1) or taken out (-1) where the campaign admits it, with
    what it is entitled to by its size."""
    if eligibility(_profile(household), terms)[0]:
        area = _area(terms.campaign_id, household)
        added.eligible(area, household, entitlement(terms, household["size"]), sign)


def _count_whole(conn: Connection, campaign_id: str, terms: CampaignTerms, added: _Tally) -> None:
    d, h = distributions, households
    _count_eligible(conn, campaign_id, terms, added)
    reached: set[str] = set()
    columns = (d.c.household_id, d.c.region_code, d.c.province_code, d.c.quantity,
               h.c.groups, h.c.size)  # fmt: skip
    handed = (
        select(*columns)
        .outerjoin(h, h.c.household_id == d.c.household_id)
        .where(d.c.campaign_id == campaign_id, d.c.status.in_(COUNTED))
    )
    for row in conn.execute(handed.order_by(d.c.occurred_at, d.c.distribution_id)).mappings():
        area = _area(campaign_id, row)
        added.handed(area, row["quantity"])
        if row["household_id"] not in reached:
            reached.add(row["household_id"])
            added.reached(area, row if row["groups"] is not None else None, 1)


def _count_handed(conn: Connection, handed: Sequence[dict[str, Any]], added: _Tally) -> None:
    """Quantities, and each household reached once per campaign, where its first basket
    was handed: a basket handed earlier than those counted before moves it there."""
    if not handed:
        return
    pairs = {(x["campaign_id"], x["household_id"]) for x in handed}
    before = _first_served(conn, pairs, ignoring=[x["distribution_id"] for x in handed])
    for given in handed:
        added.handed(_area(given["campaign_id"], given), given["quantity"])
    standing = _standing(conn, {household for _, household in pairs})
    _move_reached(before, _first_served(conn, pairs), standing, added)


def _first_served(
    conn: Connection, pairs: set[tuple[str, str]], ignoring: Sequence[str] = ()
) -> dict[tuple[str, str], Area]:
    """Per campaign and household, the area of its first counted basket (by time, then id):
    where it is reached. A household's baskets carry its area when handed, and its area may
    change between two of them; the first one decides, whatever order they came in."""
    if not pairs:
        return {}
    # by household only, the pairs picked here: a (campaign, household) IN list is planned
    # as the campaign's every basket filtered against each pair, longer as the campaign grows
    d = distributions
    households = {household for _, household in pairs}
    found = select(d.c.campaign_id, d.c.household_id, d.c.region_code, d.c.province_code).where(
        among(conn, d.c.household_id, households), d.c.status.in_(COUNTED)
    )
    if ignoring:
        found = found.where(not_among(conn, d.c.distribution_id, ignoring))
    first: dict[tuple[str, str], Area] = {}
    for row in conn.execute(found.order_by(d.c.occurred_at, d.c.distribution_id)).mappings():
        pair = (row["campaign_id"], row["household_id"])
        if pair in pairs:
            first.setdefault(pair, _area(row["campaign_id"], row))
    return first


def _first_served_of(
    conn: Connection, household_ids: set[str], ignoring: Sequence[str] = ()
) -> dict[tuple[str, str], Area]:
    """`_first_served` for every campaign the households received something in."""
    if not household_ids:
        return {}
    d = distributions
    found = select(d.c.campaign_id, d.c.household_id).where(
        among(conn, d.c.household_id, household_ids), d.c.status.in_(COUNTED)
    )
    pairs = {(r.campaign_id, r.household_id) for r in conn.execute(found.distinct())}
    return _first_served(conn, pairs, ignoring)


def _reach_late_registered(
    conn: Connection,
    registered: Sequence[HouseholdRegistered],
    counted: set[str],
    handed: Sequence[dict[str, Any]],
    added: _Tally,
) -> None:
    """A household's baskets can be read before its registration (they come on another
    stream): it was then counted reached in no group. Once registered it is reached in its
    groups, where it was reached before this batch (this batch's baskets count it next)."""
    if not registered:
        return
    ours = {h.household_id: h.model_dump() for h in registered}
    ignoring = [d["distribution_id"] for d in handed]
    for (campaign_id, household_id), area in _first_served_of(conn, set(ours), ignoring).items():
        if campaign_id in counted:
            added.in_groups(area, ours[household_id], "reached", 1)


def _standing(conn: Connection, household_ids: set[str]) -> Standing:
    """The households' groups and size as written (a household not registered here has
    none: it counts as reached, in no group)."""
    if not household_ids:
        return {}
    h = households
    found = select(h.c.household_id, h.c.groups, h.c.size).where(
        among(conn, h.c.household_id, household_ids)
    )
    return {row["household_id"]: row for row in conn.execute(found).mappings()}


def _move_reached(
    before: Mapping[tuple[str, str], Area],
    after: Mapping[tuple[str, str], Area],
    standing: Standing,
    added: _Tally,
) -> None:
    """Each household reached where its first basket is now, and no longer where it was."""
    for pair in set(before) | set(after):
        was, now = before.get(pair), after.get(pair)
        if was != now:
            household = standing.get(pair[1])
            if was is not None:
                added.reached(was, household, -1)
            if now is not None:
                added.reached(now, household, 1)


Day = tuple[str, date, str, str, str, str]  # campaign, day, site, item, region, province
DAY_KEYS = ("campaign_id", "day", "site_id", "item_id", "region_code", "province_code")
DAY_ZERO = {"households": 0, "quantity": 0}


def _day_of(row: Mapping[Any, Any]) -> Day:
    return (row["campaign_id"], row["occurred_at"].date(), row["site_id"], row["item_id"],
            row["region_code"], row["province_code"] or "")  # fmt: skip


def _count_days(conn: Connection, handed: Sequence[dict[str, Any]]) -> None:
    """Each household counted once per campaign, day, site, item and area: once already if
    another accepted distribution of theirs there that day was written before."""
    if not handed:
        return
    d = distributions
    ours = [x["distribution_id"] for x in handed]
    columns = (d.c.campaign_id, d.c.occurred_at, d.c.site_id, d.c.item_id, d.c.region_code,
               d.c.province_code, d.c.household_id)  # fmt: skip
    before = select(*columns).where(
        among(conn, d.c.household_id, {x["household_id"] for x in handed}),
        d.c.status.in_(COUNTED),
        not_among(conn, d.c.distribution_id, ours),
    )
    served = {(_day_of(r), r["household_id"]) for r in conn.execute(before).mappings()}
    rows: dict[Day, dict[str, Any]] = {}
    for given in handed:
        day = _day_of(given)
        row = rows.setdefault(day, dict(zip(DAY_KEYS, day, strict=True)) | DAY_ZERO)
        row["quantity"] += given["quantity"]
        if (day, given["household_id"]) not in served:
            served.add((day, given["household_id"]))
            row["households"] += 1
    upsert(conn, distribution_days, list(rows.values()), DAY_KEYS, add=list(DAY_ZERO))


AREA_KEYS = ("campaign_id", "region_code", "province_code")
GROUP_KEYS = (*AREA_KEYS, "target_group")


def _write(conn: Connection, added: _Tally) -> None:
    rows: dict[Area, dict[str, Any]] = {}
    for (area, column), n in added.areas.items():
        row = rows.setdefault(
            area, dict(zip(AREA_KEYS, area, strict=True)) | dict.fromkeys(COUNTS, 0)
        )
        row[column] += n
    upsert(conn, coverage_counts, list(rows.values()), AREA_KEYS, add=COUNTS)
    grouped: dict[GroupArea, dict[str, Any]] = {}
    for (key, column), n in added.groups.items():
        row = grouped.setdefault(
            key, dict(zip(GROUP_KEYS, key, strict=True)) | dict.fromkeys(GROUP_COUNTS, 0)
        )
        row[column] += n
    upsert(conn, coverage_group_counts, list(grouped.values()), GROUP_KEYS, add=GROUP_COUNTS)
    if grouped:  # a household reached elsewhere now, or counted in and out in one batch
        g = coverage_group_counts
        conn.execute(
            delete(g).where(
                g.c.campaign_id.in_({key[0] for key in grouped}),
                *(g.c[column] == 0 for column in GROUP_COUNTS),
            )
        )


def counted_terms(conn: Connection, exclude: Iterable[str]) -> list[CampaignTerms]:
    skipped = set(exclude)
    return [
        _rules(row)
        for row in conn.execute(select(coverage_terms)).mappings()
        if row["campaign_id"] not in skipped
    ]


def _terms_row(campaign: CampaignOpened) -> dict[str, Any]:
    return campaign.model_dump(
        include={"campaign_id", "region_codes", "groups", "max_precarity_score",
                 "quantity_per_household", "larger_households"}
    )  # fmt: skip


def _as_terms(campaign: CampaignOpened) -> CampaignTerms:
    return _rules(_terms_row(campaign))


def _rules(row: Any) -> CampaignTerms:
    """Only the rules eligibility and entitlement read; the rest of the terms is not needed
    to count."""
    larger = row["larger_households"]
    return CampaignTerms.model_construct(
        campaign_id=row["campaign_id"],
        region_codes=list(row["region_codes"]),
        groups=list(row["groups"]),
        max_precarity_score=row["max_precarity_score"],
        quantity_per_household=row["quantity_per_household"],
        larger_households=None if larger is None else LargerHouseholds.model_validate(larger),
    )


def _profile(household: Mapping[Any, Any]) -> Profile:
    return Profile(
        household["region_code"],
        household["province_code"],
        tuple(household["groups"]),
        household["precarity_score"],
    )


def _area(campaign_id: str, where: Mapping[Any, Any]) -> Area:
    return (campaign_id, where["region_code"], where["province_code"] or "")
