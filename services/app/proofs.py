"""Proofs for donors: the events behind a donation's trace, tied to a signed checkpoint.

What a proof holds (`GET /v1/donations/{id}/trace?proof=1`, answered as `proof` beside the
trace):

- `trace`: the trace as the API shows it;
- `checkpoint`: the newest published checkpoint (events/checkpoints.py), with its Ed25519
  `signature`, `public_key` and `key_id`, unchanged;
- `partitions`: for each partition of the stock topic where the donation's stock moved, every
  event from the first one that moved it there up to the checkpoint's offset in that
  partition, each as `{"offset", "event"}` (the event is the envelope exactly as in the log:
  its JSON, with `key_id`, `signature` and `prev`).

Everything the trace's quantities are read from is on the stock topic: receipts (and their
voids), transfers dispatched, received, short or sent back (`transfer_lines`), adjustments
and counts, kit assemblies, and `StockDistributed`, the lot a distribution consumed, which
carries the campaign and the area but no household (`lot_distributions`). The stock topic
carries no household identity at all, not even a pseudonymous id: its events are given in
full. The distributions topic, where the household is named (with `identity`, a pseudonym
that links it to a person), is not in a proof.

Why whole runs of events and not some of them: a chain is a linked list. An event's link
(events/chain.py) is the SHA-256 of its whole envelope, so a link cannot be recomputed from
part of an event, and an event given only as its link would tie nothing before it to the
checkpoint (its own `prev` could not be checked). So from the first event that concerns the
donation in a partition to the checkpoint's offset, every event is there, the other donors'
and operations' too (stock movements of goods: ids, quantities, places, staff user ids, no
person's data). A proof grows with the partition's traffic after the donation arrived; a
Merkle tree over each partition would bound it, at the price of a second structure to keep,
and is not done.

What a proof proves, to someone who holds the checkpoint's public key: these events, in this
order, are the ones in the log at these offsets, up to a head that the key's holder signed
(changing, removing, inserting or reordering one breaks a link or the head); and the trace's
received, in stock (by location), in transit, lost and distributed quantities (with their
breakdowns by region, province, campaign and month) are what those events add up to, in total
and item by item (`items`: every event names its item, so a cash donation's purchases of
several goods are each followed; each part summed over the items is the total).

What it does not prove:
- that the events were written by the deployment's components: their HMAC signatures need
  the deployment's secret key, which a donor does not hold; what a donor checks is the
  Ed25519 signature over the chains' heads;
- that no event concerning the donation was left out before the first one given in a
  partition, or in a partition not given (a chain cannot say what is absent from a part of
  it); the trace must add up from what is given, so a left-out receipt shows as a mismatch
  only if the trace still counts it;
- the households reached (`households` counts): they are counted from the distributions
  topic, whose events name the household, so they are not in a proof;
- the shares of the donation inside kits (`in_kits` in total, per location of `in_stock`
  and per item, `in_kits_in_transit`, `through_kits`): they depend on the kit lots' later
  movements, which do not name the donation; they are taken from the trace as they are and
  taken out of `in_stock`, `in_transit`, `distributed` and `lost`, which count them (the
  quantities compared are the donation's own lots'), checked only to sum over the items to
  the totals (format `/1`, of traces from before kits in stock and on their way were counted
  in `in_stock` and `in_transit`, has nothing to take out of those).
- anything after the checkpoint: a proof is as fresh as the newest checkpoint; while the
  donation's stock moved after it, or the read model has not reached it, the answer is 409.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from projections import ledger_queries, relief_queries
from services.app.errors import Conflict
from services.app.permissions import User
from services.app.ports import Ports
from services.app.reading import in_thread
from services.app.relief import trace_donation

FORMAT = "aidledger-donation-proof/2"  # /1: kits in stock, on their way, counted apart
# at most this many events in one proof (a partition busy since the donation arrived makes
# a proof as long as its traffic: see the module's docstring)
MAX_EVENTS = 200_000
PROJECTION = "inventory"  # the read model the trace reads the stock topic through


async def donation_proof(ports: Ports, user: User, donation_id: str) -> dict[str, Any]:
    """The trace and its proof (see the module's docstring); 409 when no checkpoint covers
    the donation's events yet, 503 when the log cannot be read."""
    read = ports.read_log
    trace = await trace_donation(ports, user, donation_id)  # authorizes, 404, 403
    topic = ports.settings.topic("stock")
    spans = await in_thread(relief_queries.donation_offsets, ports.engine, donation_id)
    found = await in_thread(ledger_queries.latest_checkpoints, ports.engine, 1)
    reached = await in_thread(ledger_queries.projected_offsets, ports.engine, PROJECTION, topic)
    checkpoint = found[0] if found else None
    wanted = ranges(topic, spans, checkpoint, reached)
    partitions = []
    for partition, (first, last) in sorted(wanted.items()):
        records = await in_thread(read, ports.settings, topic, partition, first, last)
        partitions.append(
            {"topic": topic, "partition": partition, "events": events_of(records, first, last)}
        )
    assert checkpoint is not None  # ranges() refuses without one
    return {
        "format": FORMAT,
        "donation_id": donation_id,
        "trace": trace,
        "checkpoint": checkpoint,
        "partitions": partitions,
    }


def ranges(
    topic: str,
    spans: Mapping[int, tuple[int, int]],
    checkpoint: Mapping[str, Any] | None,
    reached: Mapping[int, int],
) -> dict[int, tuple[int, int]]:
    """Partition -> (first, last) offsets to give: from the donation's first event there to
    the checkpoint's offset. Conflict (409) when the checkpoint does not cover them."""
    if not spans:
        raise Conflict(
            "this donation has not moved any stock yet: there is nothing to prove",
            error="nothing_to_prove",
        )
    if checkpoint is None:
        raise Conflict(
            "no checkpoint of the ledger has been published yet: a proof is checked against "
            "one (`aid ledger checkpoint`); ask again after the next",
            error="no_checkpoint",
        )
    heads = {(h["topic"], h["partition"]): h["offset"] for h in checkpoint["heads"]}
    wanted, total = {}, 0
    for partition, (first, last) in spans.items():
        head = heads.get((topic, partition), -1)
        if head < last:
            raise Conflict(
                "the donation's stock moved after the newest checkpoint: ask again after the "
                "next one",
                error="not_checkpointed",
            )
        if reached.get(partition, -1) < head:
            raise Conflict(
                "the trace has not yet caught up with the newest checkpoint: ask again in a moment",
                error="not_caught_up",
            )
        wanted[partition] = (first, head)
        total += head - first + 1
    if total > MAX_EVENTS:
        raise Conflict(
            f"a proof of this donation would hold about {total} events, more than "
            f"{MAX_EVENTS}: it cannot be served",
            error="proof_too_large",
        )
    return wanted


def events_of(
    records: Sequence[tuple[int, bytes | None]], first: int, last: int
) -> list[dict[str, Any]]:
    """The records as proof entries; Conflict if the log does not hold the whole range."""
    events = []
    for offset, raw in records:
        try:
            event = orjson.loads(raw or b"")
        except orjson.JSONDecodeError:
            event = None
        if not isinstance(event, dict):
            raise Conflict(
                f"the record at offset {offset} is not an event: the log needs attention "
                "(`aid ledger verify`)",
                error="log_unreadable",
            )
        events.append({"offset": offset, "event": event})
    if not events or events[0]["offset"] != first or events[-1]["offset"] != last:
        raise Conflict(
            "the log does not hold every event the checkpoint covers: it needs attention "
            "(`aid ledger verify`)",
            error="log_unreadable",
        )
    return events
