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

from events import Envelope
from events.households import HouseholdProfileUpdated, HouseholdRegistered
from events.slots import ExpectedHousehold
from services.domain.policies import Sent, caused_by
from services.domain.slots.commands import OfferHouseholds, WithdrawHouseholds


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
