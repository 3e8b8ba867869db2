"""The aid registry: households (pseudonymous) and the distributions they received."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select, update

from events.households import (
    PROFILE,
    AidDistributed,
    CampaignAreasChanged,
    CampaignOpened,
    DistributionVoided,
    DuplicateAccepted,
    DuplicateDistributionFlagged,
    DuplicateVoided,
    HouseholdCardIssued,
    HouseholdProfileUpdated,
    HouseholdRegistered,
    LateDistributionFlagged,
    PersonalDataErased,
)
from projections import coverage_writer, site_counts_writer, social_watch_writer
from projections.projection import Batch
from projections.sql import insert_ignoring_duplicates, plan_for_values, upsert
from projections.tables import (
    coverage_counts,
    coverage_group_counts,
    coverage_terms,
    distribution_days,
    distributions,
    household_cards,
    households,
    registry_counts,
    registry_months,
    site_counts,
)
from projections.writer_types import Applied
from services.domain.households.members import as_columns

# a basket handed: counted, or flagged for a coordinator
HANDED = (AidDistributed, DuplicateDistributionFlagged, LateDistributionFlagged)
DISTRIBUTION_FIELDS = {
    "distribution_id", "household_id", "campaign_id", "site_id", "item_id", "quantity",
    "region_code", "province_code",
}  # fmt: skip


class RegistryProjection:
    """Households, distributions, and coverage counted from them and the campaigns' rules
    (the reference stream gives the campaigns; its other events pass by)."""

    name: str = "registry"
    streams: tuple[str, ...] = ("households", "distributions", "reference")
    tables: tuple[Table, ...] = (
        households,
        household_cards,
        distributions,
        coverage_terms,
        coverage_counts,
        coverage_group_counts,
        distribution_days,
        registry_counts,
        registry_months,
        site_counts,
    )
    keyed_by_event: bool = False
    write_only: bool = False
    reads_views: bool = True

    def apply(self, conn: Connection, batch: Batch, replay: bool = False) -> None:
        """Registrations and distributions inserted together, an erasure where it comes: a
        person erased then registered again (one partition, in order) must free the identity
        before the new household takes it. Coverage is counted once both are written; a void
        is counted out where it comes, after what came before it (a household served, voided
        and served again at another site is reached there, whatever the batch); a duplicate's
        resolution likewise, after the flagged record it resolves. Site counts: the batch's
        households are judged before it and after it, and the difference counted. Its
        lookups take a batch's ids as one array each, planned for their values."""
        plan_for_values(conn)
        touched = site_counts_writer.touched(batch)
        before = site_counts_writer.judge(conn, touched)
        pending = _Pending()
        for applied in batch:
            event = applied.event
            if isinstance(event, HouseholdRegistered):
                when = applied.occurred_at
                row = event.model_dump(exclude={"members"}) | as_columns(event.members)
                pending.registered.append(row | {"erased": False, "registered_at": when})
                pending.new_households.append(event)
            elif isinstance(event, HouseholdProfileUpdated):
                pending.updated.append(event)
                pending.assessed.append((applied.occurred_at, event))
            elif isinstance(event, HouseholdCardIssued):
                _issue_card(conn, event, applied.occurred_at)
            elif isinstance(event, PersonalDataErased):
                pending = pending.written(conn)
                _erase(conn, event.household_id)
            elif isinstance(event, HANDED):
                pending.handed.append(_distribution(event, applied))
                if isinstance(event, AidDistributed):
                    pending.accepted.append(pending.handed[-1])
            elif isinstance(event, CampaignOpened):
                pending.opened.append(event)
            elif isinstance(event, DistributionVoided):
                pending = pending.written(conn)
                coverage_writer.uncount(conn, [event.distribution_id])
            elif isinstance(event, CampaignAreasChanged):
                pending = pending.written(conn)
                coverage_writer.retarget(conn, event)
            elif isinstance(event, DuplicateAccepted):
                pending = pending.written(conn)
                coverage_writer.count_exceptions(conn, [event.distribution_id])
            elif isinstance(event, DuplicateVoided):
                pending = pending.written(conn)
                _void_duplicate(conn, event.distribution_id)
        pending.written(conn)
        after = site_counts_writer.judge(conn, touched, earlier=before)
        site_counts_writer.count(conn, before, after, touched.campaigns)


@dataclass
class _Pending:
    """What a batch holds that is not written yet."""

    registered: list[dict[str, Any]] = field(default_factory=list)
    new_households: list[HouseholdRegistered] = field(default_factory=list)
    handed: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    opened: list[CampaignOpened] = field(default_factory=list)
    updated: list[HouseholdProfileUpdated] = field(default_factory=list)
    assessed: list[tuple[datetime, HouseholdProfileUpdated]] = field(default_factory=list)

    def written(self, conn: Connection) -> _Pending:
        """Write and count it all; nothing pending after. Profiles are updated last, over
        the registrations (an update follows its registration on their partition)."""
        upsert(conn, households, self.registered, ["household_id"])
        upsert(conn, distributions, self.handed, ["distribution_id"])
        coverage_writer.count(conn, self.opened, self.new_households, self.accepted)
        coverage_writer.reprofile(conn, self.updated)
        registrations = [(row["registered_at"], row) for row in self.registered]
        social_watch_writer.count(conn, registrations, self.assessed)
        _update_profiles(conn, self.updated)
        return _Pending()


def _update_profiles(conn: Connection, updated: list[HouseholdProfileUpdated]) -> None:
    """Each household's row as its updates leave it, in their order: its profile and member
    counts replaced, its sealed data only where an update sealed it again (never once
    erased)."""
    if not updated:
        return
    rows: dict[str, dict[str, Any]] = {}
    for event in updated:
        row = rows.setdefault(event.household_id, {})
        row |= event.model_dump(include=set(PROFILE)) | as_columns(event.members)
        if event.sealed_personal_data is not None:
            row["sealed_personal_data"] = event.sealed_personal_data
    h = households
    erased = set(
        conn.scalars(select(h.c.household_id).where(h.c.household_id.in_(rows), h.c.erased))
    )
    for household_id, values in rows.items():
        if household_id in erased:
            values.pop("sealed_personal_data", None)
        conn.execute(update(h).where(h.c.household_id == household_id).values(**values))


def _issue_card(conn: Connection, event: HouseholdCardIssued, at: datetime) -> None:
    """The new card, and the household's earlier ones replaced from its issue on. A card read
    again (a replay, or a retry's copy after a later card) changes nothing: its row stands, and
    the cards before it were replaced already."""
    row = {"household_id": event.household_id, "card_number": event.card_number,
           "check_value": event.check, "issued_at": at, "replaced_at": None}  # fmt: skip
    insert_ignoring_duplicates(conn, household_cards, [row], ["household_id", "card_number"])
    c = household_cards.c
    conn.execute(
        update(household_cards)
        .where(
            c.household_id == event.household_id,
            c.card_number < event.card_number,
            c.replaced_at.is_(None),
        )
        .values(replaced_at=at)
    )


def _void_duplicate(conn: Connection, distribution_id: str) -> None:
    """A second record of one basket: it stays listed, as resolved, and never counts."""
    d = distributions
    conn.execute(
        update(d)
        .where(d.c.distribution_id == distribution_id, d.c.status == "duplicate")
        .values(status="voided_duplicate")
    )


def _erase(conn: Connection, household_id: str) -> None:
    """Nothing left that links the household to a person: no pseudonym, no sealed data."""
    conn.execute(
        update(households)
        .where(households.c.household_id == household_id)
        .values(
            erased=True,
            identity=None,
            sealed_personal_data=None,
            national_id_pseudonym=None,
            registry_pseudonym=None,
        )
    )


def _distribution(
    event: AidDistributed | DuplicateDistributionFlagged | LateDistributionFlagged,
    applied: Applied,
) -> dict[str, Any]:
    if isinstance(event, AidDistributed):
        status, offline, first, flag = "accepted", event.offline, None, None
    elif isinstance(event, DuplicateDistributionFlagged):
        status, offline, first = "duplicate", True, event.first_distribution_id
        flag = "beyond_entitlement"
    else:  # no first basket to point at: flagged under its own id, as for an erased one
        status, offline, first, flag = "duplicate", True, event.distribution_id, event.why
    return event.model_dump(include=DISTRIBUTION_FIELDS) | {
        "status": status,
        "occurred_at": applied.occurred_at,
        "offline": offline,
        "first_distribution_id": first,
        "flag": flag,
        "actor": applied.envelope.actor.user_id,
    }
