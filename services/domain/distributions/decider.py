"""The single writer of a household's aid: never more than its entitlement per campaign."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from events import Event
from events.households import (
    AidDistributed,
    DistributionVoided,
    DuplicateDistributionFlagged,
    LateDistributionFlagged,
    LateWhy,
)
from services.domain.commands import Command
from services.domain.dating import CLOCKS_DIFFER_BY, FIRST_MOMENT
from services.domain.deciding import decide_in_order
from services.domain.decisions import DomainError, Refused, Rejected
from services.domain.dispatching import on_message
from services.domain.distributions.commands import (
    STREAM,
    RecordDistribution,
    RecordDistributions,
    ResolveDuplicate,
    VoidDistribution,
)
from services.domain.distributions.duplicates import resolve
from services.domain.distributions.eligibility import (
    Profile,
    eligibility,
    entitlement,
    within_dates,
)
from services.domain.distributions.state import HouseholdAid, evolve

__all__ = [
    "DistributionDecider",
    "HouseholdAid",
    "RecordDistribution",
    "RecordDistributions",
    "ResolveDuplicate",
    "VoidDistribution",
    "decide",
    "decide_distribution",
    "decide_distributions",
    "evolve",
]


@on_message
def decide(state: HouseholdAid, command: Command, now: datetime) -> list[Event]:
    raise Rejected("unknown_command", f"distributions cannot handle {command.TYPE}")


@decide.register
def decide_distribution(
    state: HouseholdAid, command: RecordDistribution, now: datetime | None = None
) -> list[Event]:
    """`now` (the command's time) stands for `occurred_at` when the record has none."""
    campaign = command.campaign
    when = command.occurred_at or now
    if when is None:
        raise Rejected("occurred_at_required", "the record has no time", field="occurred_at")
    _dated_plausibly(command.occurred_at, now)
    facts: dict[str, Any] = {  # read, not dumped: a record's dump costs several µs
        "distribution_id": command.distribution_id,
        "household_id": command.household_id,
        "identity": command.identity,
        "site_id": command.site_id,
        "quantity": command.quantity,
        "region_code": command.region_code,
        "province_code": command.province_code,
        "campaign_id": campaign.campaign_id,
        "item_id": campaign.item_id,
    }
    if not within_dates(campaign, when.date()):
        closed = campaign.closed_on is not None and when.date() > campaign.closed_on
        why: LateWhy = "campaign_closed" if closed else "outside_campaign"
        if command.offline:  # handed in the field all the same: kept for a coordinator
            return [LateDistributionFlagged(**facts, distributed_at=when, why=why)]
        raise Refused(
            why,
            f"the campaign closed on {campaign.closed_on}"
            if closed
            else f"the campaign runs from {campaign.starts_on} to {campaign.ends_on}",
            starts_on=str(campaign.starts_on),
            ends_on=str(campaign.last_day),
        )
    profile = Profile(
        command.region_code, command.province_code, tuple(command.groups), command.precarity_score
    )
    eligible, reason = eligibility(profile, campaign, on=when.date())
    if not eligible:
        raise (Rejected if command.offline else Refused)("not_eligible", reason, reason=reason)
    already = state.total(campaign.campaign_id)
    due = entitlement(campaign, command.household_size)
    if already + command.quantity <= due:
        return [AidDistributed(**facts, distributed_at=when, offline=command.offline)]
    first = next(iter(state.received.get(campaign.campaign_id, ())), None)
    if first is not None and first.household_id != command.household_id:
        # The person received it as a household since erased: the entitlement stands, but
        # nothing may lead from the new household to the erased one's records.
        first = None
    if command.offline:
        return [
            DuplicateDistributionFlagged(
                **facts,
                already_received=already,
                first_distribution_id=first.distribution_id if first else command.distribution_id,
                distributed_at=when,
            )
        ]
    raise Refused(
        "already_received",
        f"this household already received {already} of {due} in this campaign"
        + (f", at {first.site_id} on {first.occurred_at:%Y-%m-%d %H:%M}" if first else ""),
        already_received=already,
        entitlement=due,
        first_distribution_id=first.distribution_id if first else None,
        site_id=first.site_id if first else None,
        received_at=first.occurred_at.isoformat() if first else None,
    )


def _dated_plausibly(occurred_at: datetime | None, now: datetime | None) -> None:
    """A record is not dated in the future (beyond clocks' disagreement) nor before 2000;
    one weeks old is a device that synced late, and the campaign's dates judge it."""
    if occurred_at is None:
        return
    latest = None if now is None else now + CLOCKS_DIFFER_BY
    if occurred_at < FIRST_MOMENT or (latest is not None and occurred_at > latest):
        raise Rejected(
            "occurred_at_out_of_range",
            "a distribution is dated between 2000 and now (UTC), never in the future: "
            "correct the device's date and time, and give the moment the basket was handed",
            field="occurred_at",
        )


def decide_distributions(
    state_of: Callable[[str], HouseholdAid],
    records: Sequence[RecordDistribution],
    now: datetime,
    ended: dict[str, HouseholdAid] | None = None,
) -> list[list[Event] | DomainError]:
    """Each record's events, or why not, in order, each decided as `decide_distribution`
    decides it alone, on the state the records before it in the batch left its household
    (a household twice: the second counts the first's basket); `ended` as `decide_in_order`."""

    def recorded(state: HouseholdAid, record: RecordDistribution) -> list[Event]:
        return decide_distribution(state, record, now)

    return decide_in_order(state_of, records, recorded, evolve, ended=ended)


@decide.register
def _(state: HouseholdAid, command: VoidDistribution, now: datetime) -> list[Event]:
    """The distribution stops counting against the household's entitlement."""
    as_duplicate = state.resolved.get(command.distribution_id) == "void"
    if command.distribution_id in state.voided or as_duplicate:
        raise Refused(
            "already_voided",
            f"distribution {command.distribution_id!r} is already voided",
            distribution_id=command.distribution_id,
        )
    for campaign_id, lines in state.received.items():
        for line in lines:
            if line.distribution_id == command.distribution_id:
                return [
                    DistributionVoided(
                        distribution_id=line.distribution_id,
                        household_id=line.household_id,
                        identity=command.identity,
                        campaign_id=campaign_id,
                        site_id=line.site_id,
                        item_id=line.item_id,
                        quantity=line.quantity,
                        reason=command.reason,
                    )
                ]
    if command.distribution_id in state.flagged:
        raise Refused(
            "not_voidable",
            f"distribution {command.distribution_id!r} is flagged for a coordinator: resolve it "
            "(void it or accept it as an exception) instead",
            distribution_id=command.distribution_id,
        )
    raise Refused(
        "unknown_distribution",
        f"no distribution {command.distribution_id!r} was accepted for this household",
        distribution_id=command.distribution_id,
    )


@decide.register
def _(state: HouseholdAid, command: ResolveDuplicate, now: datetime) -> list[Event]:
    """A flagged duplicate voided (nothing moves) or accepted as an exception (it counts)."""
    return resolve(state, command, now)


class DistributionDecider:
    """Decides the records of one household (by identity) at a time, and an offline sync's
    records of a partition in a batch."""

    event_stream: str = "distributions"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = {
        RecordDistribution.TYPE: RecordDistribution,
        RecordDistributions.TYPE: RecordDistributions,
        VoidDistribution.TYPE: VoidDistribution,
        ResolveDuplicate.TYPE: ResolveDuplicate,
    }
    initial = staticmethod(HouseholdAid)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
    decide_batch = staticmethod(decide_distributions)
