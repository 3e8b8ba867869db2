"""When aid is distributed, the site's stock goes down.

Every AidDistributed becomes a ConsumeForDistribution for the site's stock writer, with an id
derived from the distribution, so reacting twice still consumes the stock once.
"""

from __future__ import annotations

from events import Envelope
from events.households import AidDistributed
from services.domain.policies import Sent, caused_by
from services.domain.stock.commands import ConsumeForDistribution


def consume_stock(event: AidDistributed, envelope: Envelope) -> Sent:
    """The site's stock command that follows from a distribution."""
    command = ConsumeForDistribution(
        distribution_id=event.distribution_id,
        site_id=event.site_id,
        item_id=event.item_id,
        quantity=event.quantity,
        campaign_id=event.campaign_id,
        region_code=event.region_code,
        province_code=event.province_code,
    )
    return caused_by(command, envelope, event.distribution_id)
