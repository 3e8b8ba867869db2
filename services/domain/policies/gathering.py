"""A policy's commands for a batch of events, gathered per partition before they are sent.

A distribution's consumption of its site's stock, a household's offer to its site: one
command per event, and a busy flow (an offline sync, an import) asks thousands a second of
one writer. The commands of one kind that follow one another on a partition of their
stream travel as one `GatheredCommand`, whose writer decides each as it would alone, under
the id and sender it has alone: reacting again after a crash, however the batch is cut
then, answers what was decided and decides only the rest. Offers are merged first, one
per site and flow (`offers_per_site`): an import writes one event per site and batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from services.domain.commands import Caused, CommandEnvelope, GatheredCommand, Sender, batch_id
from services.domain.policies import Sent
from services.domain.policies.slots import offers_per_site
from services.domain.slots.commands import OffersToSites
from services.domain.stock.commands import ConsumeForDistributions

GATHERED: Mapping[str, type[GatheredCommand]] = {
    kind.ONE.TYPE: kind for kind in (ConsumeForDistributions, OffersToSites)
}
# How a run of one kind is merged before it is gathered (offers: one per site and flow).
MERGED: Mapping[str, Callable[[Sequence[Sent]], list[Sent]]] = {
    OffersToSites.ONE.TYPE: offers_per_site
}


def gathered(asked: Sequence[Sent], partition_of: Callable[[str], int]) -> list[Sent]:
    """The commands to send for `asked`, in its order: those of one gathered kind that follow
    one another on a partition of their stream (nothing else of that partition's between
    them) as one command, every other command alone. Each partition's commands keep their
    order, so a void never overtakes the consumption it returns, nor a withdrawal the offer
    before it."""
    runs: list[list[Sent]] = []
    open_runs: dict[tuple[str, int], list[Sent]] = {}
    for sent in asked:
        command = sent[0]
        partition = (command.STREAM, partition_of(command.aggregate_id))
        kind = GATHERED.get(command.TYPE)
        run = open_runs.pop(partition, None)
        if kind is None:
            runs.append([sent])
            continue
        if run is None or run[0][0].TYPE != command.TYPE or len(run) == kind.MAX:
            run = []
            runs.append(run)
        run.append(sent)
        open_runs[partition] = run
    merged = [MERGED.get(run[0][0].TYPE, list)(run) for run in runs]
    return [run[0] if len(run) == 1 else _together(run) for run in merged]


def _together(run: Sequence[Sent]) -> Sent:
    """Commands of one kind and partition as one, sent as the first one's sender."""
    kind = GATHERED[run[0][0].TYPE]
    caused = []
    for command, wire in run:
        sender = Sender(actor=wire.actor, issued_at=wire.issued_at,
                        correlation_id=wire.correlation_id)  # fmt: skip
        client_id = wire.command_id.removeprefix(f"{command.TYPE}:")
        caused.append(Caused[kind.ONE](client_id=client_id, sender=sender, command=command))  # type: ignore[name-defined]
    batch = kind(gathered=caused)
    first = run[0][1]
    wire = CommandEnvelope.of(batch, batch_id(batch), first.actor, first.issued_at,
                              first.correlation_id)  # fmt: skip
    return batch, wire
