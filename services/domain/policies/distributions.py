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

A batch of events asks its commands together (`gathered`): the consumptions that follow one
another on a partition of the stock commands travel as one `ConsumeForDistributions`, each
decided as it would be alone, under its own id and sender.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from events import Envelope, Event
from events.households import AidDistributed, DistributionVoided, DuplicateAccepted
from services.domain.commands import CommandEnvelope, Sender, batch_id
from services.domain.policies import Sent, caused_by
from services.domain.stock.commands import (
    MAX_CONSUMPTIONS,
    ConsumeForDistribution,
    ConsumeForDistributions,
    Consumption,
    VoidStockEntry,
)


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


def gathered(asked: Sequence[Sent], partition_of: Callable[[str], int]) -> list[Sent]:
    """The commands to send for `asked`, in its order: the consumptions that follow one another
    on a partition (nothing else of that partition between them) as one
    `ConsumeForDistributions`, every other command alone. Each partition's commands keep
    their order, so a void never overtakes the consumption it returns."""
    runs: list[list[Sent]] = []
    open_runs: dict[int, list[Sent]] = {}
    for sent in asked:
        partition = partition_of(sent[0].aggregate_id)
        if not isinstance(sent[0], ConsumeForDistribution):
            open_runs.pop(partition, None)
            runs.append([sent])
            continue
        run = open_runs.get(partition)
        if run is None or len(run) == MAX_CONSUMPTIONS:
            run = open_runs[partition] = []
            runs.append(run)
        run.append(sent)
    return [run[0] if len(run) == 1 else _together(run) for run in runs]


def _together(run: Sequence[Sent]) -> Sent:
    """Consumptions of one partition as one command, sent as the first one's sender."""
    consumptions = []
    for command, wire in run:
        assert isinstance(command, ConsumeForDistribution)  # `gathered` runs nothing else
        sender = Sender(actor=wire.actor, issued_at=wire.issued_at,
                        correlation_id=wire.correlation_id)  # fmt: skip
        client_id = wire.command_id.removeprefix(f"{command.TYPE}:")
        consumptions.append(Consumption(client_id=client_id, sender=sender, command=command))
    batch = ConsumeForDistributions(consumptions=consumptions)
    first = run[0][1]
    wire = CommandEnvelope.of(batch, batch_id(batch), first.actor, first.issued_at,
                              first.correlation_id)  # fmt: skip
    return batch, wire
