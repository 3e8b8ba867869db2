"""When aid is distributed, the site's stock goes down; when a distribution is voided, it
comes back.

Every AidDistributed becomes a ConsumeForDistribution for the site's stock writer, every
DistributionVoided a VoidStockEntry of that consumption, each with an id derived from the
distribution, so reacting twice still moves the stock once. Both events of a distribution
lie on its household's partition, in order, and both commands go to the site's partition of
the stock commands, in the same order: the void never overtakes the consumption.

A flagged duplicate took nothing; accepted as an exception (DuplicateAccepted), it takes its
quantity as a distribution would, dated when it was handed, with the same derived id (a
duplicate's id is its own, never the first distribution's). Voided later, it comes back
like any distribution. A duplicate voided as a second record moves nothing.
"""

from __future__ import annotations

from events import Envelope, Event
from events.households import AidDistributed, DistributionVoided, DuplicateAccepted
from services.domain.policies import Sent, caused_by
from services.domain.stock.commands import ConsumeForDistribution, VoidStockEntry


def consume_stock(event: AidDistributed | DuplicateAccepted, envelope: Envelope) -> Sent:
    """The site's stock command that follows from a distribution (or an exception)."""
    command = ConsumeForDistribution(
        distribution_id=event.distribution_id,
        site_id=event.site_id,
        item_id=event.item_id,
        quantity=event.quantity,
        campaign_id=event.campaign_id,
        region_code=event.region_code,
        province_code=event.province_code,
    )
    if isinstance(event, DuplicateAccepted):  # the basket left when handed, not when accepted
        envelope = envelope.model_copy(update={"occurred_at": event.distributed_at})
    return caused_by(command, envelope, event.distribution_id)


def return_stock(event: DistributionVoided, envelope: Envelope) -> Sent:
    """The site's stock command that follows from a voided distribution."""
    command = VoidStockEntry(
        location_id=event.site_id,
        entry="distribution",
        entry_id=event.distribution_id,
        reason=event.reason,
    )
    return caused_by(command, envelope, event.distribution_id)


def site_stock_command(event: Event, envelope: Envelope) -> Sent | None:
    """What a distributions event asks of the site's stock, if anything."""
    if isinstance(event, AidDistributed | DuplicateAccepted):
        return consume_stock(event, envelope)
    if isinstance(event, DistributionVoided):
        return return_stock(event, envelope)
    return None
