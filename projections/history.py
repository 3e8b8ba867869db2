"""What an event is about, and what of it an auditor reads: a pure function of the event.

An event is about the location whose stock it moves (both ends of a transfer, or of a
convoy's plan), the household it serves, the convoy, the campaign's terms, the donation
received (goods or cash, and the purchases it paid for), the user, the item defined, the
requisition (and the transfer that carries it), the pledge.
Distributions are not listed under their campaign or donation (a million per campaign:
coverage and the donor trace count those).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from events import Event
from events.households import CampaignAreasChanged, CampaignClosed, CampaignExtended, CampaignOpened
from events.kits import KitCompositionSet
from events.reference import ItemDefined
from events.relief import CashDonationReceived, DonationReceived, PurchaseRecorded
from events.slots import SiteDayClosed, SlotDayAdded, SlotPlanSet
from events.stock import StockReceived

Subject = tuple[str, str]  # (kind, id)

SUBJECT_FIELDS: dict[str, tuple[str, ...]] = {
    "location": ("location_id", "from_location_id", "to_location_id"),
    "household": ("household_id",),
    "convoy": ("deployment_id",),
    "user": ("username",),
    "requisition": ("requisition_id",),
    "pledge": ("pledge_id",),
}
# a campaign's slot plans at its sites are part of its terms (a household's slot is listed
# under the household)
CAMPAIGN_EVENTS = (CampaignOpened, CampaignExtended, CampaignClosed, CampaignAreasChanged,
                   SlotPlanSet, SiteDayClosed, SlotDayAdded)  # fmt: skip
DONATION_EVENTS = (DonationReceived, CashDonationReceived, PurchaseRecorded, StockReceived)
# Never shown: pseudonyms (they link a household to a person), sealed personal data,
# secrets (a card's check value makes a card: whoever reads it could print one).
HIDDEN = frozenset({
    "identity", "national_id_pseudonym", "registry_pseudonym", "sealed_personal_data",
    "token_hash", "password_hash", "session_hash", "check",
})  # fmt: skip
KINDS = ("location", "household", "campaign", "convoy", "donation", "user", "item", "requisition",
         "pledge")  # fmt: skip


def subjects(event: Event) -> list[Subject]:
    """Whom the event is about, each once."""
    found: list[Subject] = []
    for kind, name in _subject_fields(event.__class__):  # a view's model too
        value = getattr(event, name)
        if isinstance(value, str) and (kind, value) not in found:
            found.append((kind, value))
    if isinstance(event, CAMPAIGN_EVENTS):
        found.append(("campaign", event.campaign_id))
    if isinstance(event, DONATION_EVENTS) and event.donation_id:
        found.append(("donation", event.donation_id))
    if isinstance(event, ItemDefined):
        found.append(("item", event.item_id))
    if isinstance(event, KitCompositionSet):
        found.append(("item", event.kit_item_id))
    return found


@cache
def _subject_fields(kind: type[Event]) -> tuple[Subject, ...]:
    """The (kind, field) pairs of SUBJECT_FIELDS this event type has: asking a model for a
    field it lacks goes through pydantic's slow `__getattr__`."""
    fields = kind.model_fields
    return tuple(
        (k, name) for k, names in SUBJECT_FIELDS.items() for name in names if name in fields
    )


def facts(event: Event) -> dict[str, Any]:
    """What the event says, less what may never be shown."""
    return {k: v for k, v in event.model_dump(mode="json").items() if k not in HIDDEN}
