"""When a household is registered at a site, or its profile is assessed again, the site's
appointments writer is told it is expected there.

The writer remembers every household offered and gives a slot to each one a campaign's plan
admits that holds none, so a household registered before a plan is set gets its slot when
the plan comes, and one registered after gets the next free slot: both reach the same single
writer, in its order, and no read model that may lag is asked. The command's id derives from
the event, and an offer of a household already known changes nothing: reacting again after
a crash assigns nobody twice. An update that moves the household from one site to another
(or to none) also withdraws it from the former, whose writer releases its slots there.
"""

from __future__ import annotations

from collections.abc import Sequence

from events import Envelope
from events.households import HouseholdProfileUpdated, HouseholdRegistered
from events.slots import ExpectedHousehold
from services.domain.commands import CommandEnvelope, id_of_many
from services.domain.policies import Sent, caused_by
from services.domain.slots.commands import MAX_OFFERED, OfferHouseholds, WithdrawHouseholds


def offer_to_site(
    event: HouseholdRegistered | HouseholdProfileUpdated, envelope: Envelope
) -> list[Sent]:
    """The offer to the household's site, if it is expected at one; and, when an update
    moved it from another, its withdrawal from that one (its slots there released)."""
    sent: list[Sent] = []
    left = event.previous_site_id if isinstance(event, HouseholdProfileUpdated) else None
    if left is not None:
        withdraw = WithdrawHouseholds(site_id=left, household_ids=[event.household_id])
        sent.append(caused_by(withdraw, envelope, f"{envelope.event_id}/left"))
    if event.site_id is not None:
        household = ExpectedHousehold(
            household_id=event.household_id,
            region_code=event.region_code,
            groups=list(event.groups),
            precarity_score=event.precarity_score,
        )
        offer = OfferHouseholds(site_id=event.site_id, households=[household])
        sent.append(caused_by(offer, envelope, str(envelope.event_id)))
    return sent


def offers_per_site(run: Sequence[Sent]) -> list[Sent]:
    """A run of offers (one partition's, in a row) with those to one site in one flow (same
    actor and correlation) made one offer of all their households, each as last offered:
    an import's batch writes one `HouseholdsExpected` per site, not one per household.

    The site's offers keep their order (an offer in another flow between two starts a new
    one). A merged offer's id derives from its offers' ids, so the same events make the same
    offer; cut otherwise when the policy reacts again after a crash, it offers households
    the site already expects as they are, which changes nothing."""
    merged: list[list[Sent]] = []
    open_by_site: dict[str, tuple[list[Sent], int]] = {}  # a site's offer, its households
    for sent in run:
        command, wire = sent
        assert isinstance(command, OfferHouseholds)
        size = len(command.households)
        group, count = open_by_site.get(command.site_id, ([], 0))
        if not group or not _same_flow(group[0][1], wire) or count + size > MAX_OFFERED:
            group, count = [], 0
            merged.append(group)
        group.append(sent)
        open_by_site[command.site_id] = (group, count + size)
    return [group[0] if len(group) == 1 else _one_offer(group) for group in merged]


def _same_flow(first: CommandEnvelope, then: CommandEnvelope) -> bool:
    return (first.actor, first.correlation_id) == (then.actor, then.correlation_id)


def _one_offer(group: Sequence[Sent]) -> Sent:
    households: dict[str, ExpectedHousehold] = {}
    for command, _ in group:
        assert isinstance(command, OfferHouseholds)
        households.update((h.household_id, h) for h in command.households)
    offer = OfferHouseholds(site_id=group[0][0].aggregate_id, households=[*households.values()])
    first = group[0][1]
    wire = CommandEnvelope.of(offer, id_of_many(w.command_id for _, w in group), first.actor,
                              first.issued_at, first.correlation_id)  # fmt: skip
    return offer, wire
