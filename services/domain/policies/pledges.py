"""A donation that names a pledge counts towards it.

Every `DonationReceived` or `CashDonationReceived` with a `pledge_id` becomes a
RecordPledgeFulfilment for the pledge's writer; its id derives from the donation (one event
per donation), so reacting again gets the recorded fulfilment, never a second one.
"""

from __future__ import annotations

from events import Envelope
from events.relief import CashDonationReceived, DonationReceived
from services.domain.pledges.commands import RecordPledgeFulfilment
from services.domain.policies import Sent, caused_by


def fulfil(event: DonationReceived | CashDonationReceived, envelope: Envelope) -> Sent | None:
    """The pledge's share of the donation (None for a donation of no pledge)."""
    if event.pledge_id is None:
        return None
    if isinstance(event, CashDonationReceived):
        command = RecordPledgeFulfilment(
            pledge_id=event.pledge_id,
            donation_id=event.donation_id,
            quantity=event.amount,
            currency=event.currency,
        )
    else:
        command = RecordPledgeFulfilment(
            pledge_id=event.pledge_id,
            donation_id=event.donation_id,
            quantity=event.quantity,
            item_id=event.item_id,
        )
    return caused_by(command, envelope, event.donation_id)
