"""What the deciders' writers spend on the batches of an offline sync beyond deciding them.

`python -m bench.decider_batch` needs no Kafka and no database. Two writers take batches of
`AID_BENCH_BATCH_RECORDS` (500) as the deciders' process does: the command message read,
every command decided on the folded state, its events put in their envelopes, folded,
chained and signed into the bytes the log gets, and the batch's reply written.

- distributions: `RecordDistributions` as the API sends a sync's records, each for a
  household not seen before;
- stock: the `ConsumeForDistributions` the distribution policy gathers from those records'
  `AidDistributed`, all at one site holding a lot.

The same-run baseline of each is the decision alone: the writer's `decide_batch` over the
same commands, already read. Figures are µs of CPU per command, the best of
`AID_BENCH_BATCH_ROUNDS` (20), each round timing the writer and then its baseline.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import orjson

from bench.common import machine, report, size
from events import Actor
from events.households import AidDistributed, CampaignOpened
from events.serialization import event_id_for, wrap
from services.domain.commands import CommandEnvelope
from services.domain.deciding import AggregateStore
from services.domain.distributions.commands import RecordDistribution, RecordDistributions
from services.domain.distributions.decider import (
    DistributionDecider,
    HouseholdAid,
    decide_distributions,
)
from services.domain.policies.distributions import consume_stock
from services.domain.policies.gathering import gathered
from services.domain.stock.commands import ConsumeForDistributions, ReceiveStock
from services.domain.stock.decider import StockDecider
from services.runtime.settings import Settings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = Actor(user_id="bench-agent", role="agent")
CAMPAIGN = CampaignOpened(
    campaign_id="bench-campaign", name="Bench", item_id="bench-basket",
    quantity_per_household=1, starts_on=date(2026, 2, 1), ends_on=date(2026, 3, 31),
)  # fmt: skip


def record(batch: int, n: int) -> RecordDistribution:
    return RecordDistribution.model_validate({
        "distribution_id": f"bench-d-{batch}-{n}", "household_id": f"bench-h-{batch}-{n}",
        "identity": f"p{batch:08d}{n:032d}", "campaign": CAMPAIGN.model_dump(mode="json"),
        "region_code": "MA07", "province_code": "MA0701", "groups": ["children"],
        "precarity_score": 42.0, "site_id": "bench-site", "quantity": 1,
        "occurred_at": "2026-03-01T10:00:00+00:00", "offline": True,
    })  # fmt: skip


def message(batch: int, records: list[RecordDistribution]) -> bytes:
    envelope = CommandEnvelope.of(
        RecordDistributions(records=records), f"bench-batch-{batch}", AGENT, NOW
    )
    return envelope.model_dump_json().encode()


def consumptions(batch: int, records: list[RecordDistribution]) -> bytes:
    """The stock command the distribution policy sends for the records' baskets."""
    asked = []
    for r in records:
        handed = AidDistributed(
            distribution_id=r.distribution_id, household_id=r.household_id,
            identity=r.identity, campaign_id=CAMPAIGN.campaign_id, site_id=r.site_id,
            item_id=CAMPAIGN.item_id, quantity=r.quantity, region_code=r.region_code,
            province_code=r.province_code, distributed_at=NOW, offline=True,
        )  # fmt: skip
        cause = f"{RecordDistribution.TYPE}:{r.distribution_id}"
        envelope = wrap(handed, event_id=event_id_for(cause, 0), occurred_at=NOW,
                        recorded_at=NOW, actor=AGENT, correlation_id=f"bench-batch-{batch}",
                        causation_id=cause)  # fmt: skip
        asked.append(consume_stock(handed, envelope))
    [(_, wire)] = gathered(asked, lambda _: 0)
    return wire.model_dump_json().encode()


class Writer:
    """The deciders' process's work on a batch, without Kafka: read, decide, fold, chain,
    sign, answer."""

    def __init__(self, decider: Any) -> None:
        self.store = AggregateStore(decider)
        self.keys = Settings().ledger()
        self.head = "0" * 32
        self.written = 0

    def take(self, raw: bytes) -> bytes:
        command = CommandEnvelope.model_validate_json(raw)
        decision = self.store.take(command)
        self.store.fold(decision)
        for envelope, _ in decision.events:
            value, self.head = self.keys.encode_chained(envelope, self.head)
            self.written += len(value)
        reply = self.store.answer(decision, None)
        return reply.model_dump_json().encode()


def stocked_site() -> Writer:
    """The stock writer, its site holding one lot of more baskets than any run hands out."""
    writer = Writer(StockDecider())
    receipt = ReceiveStock(receipt_id="bench-receipt", location_id="bench-site",
                           item_id=CAMPAIGN.item_id, quantity=10**8, lot="BENCH-1")  # fmt: skip
    writer.take(CommandEnvelope.of(receipt, "bench-receipt", AGENT, NOW).model_dump_json().encode())
    return writer


def best_rounds(
    writer: Writer, messages: list[bytes], decide: Callable[[bytes], object], per_batch: int
) -> dict[str, float]:
    """µs per command of the writer taking each message, and of deciding it alone; the
    first two messages warm up (imports, compiled validators)."""
    for raw in messages[:2]:
        replies = orjson.loads(writer.take(raw))["details"]["replies"]
        assert all(r["status"] == "accepted" for r in replies), replies[:1]
    best = {"writer": float("inf"), "decide": float("inf")}
    collecting = gc.isenabled()
    gc.disable()  # as bench.signing: its pauses would land on whichever round
    try:
        for raw in messages[2:]:
            started = time.process_time()
            writer.take(raw)
            best["writer"] = min(best["writer"], time.process_time() - started)
            started = time.process_time()
            decide(raw)
            best["decide"] = min(best["decide"], time.process_time() - started)
    finally:
        if collecting:
            gc.enable()
    writer_us, decide_us = (round(best[k] / per_batch * 1e6, 2) for k in ("writer", "decide"))
    return {
        "writer_us_per_command": writer_us,
        "baseline_decide_us_per_command": decide_us,
        "ratio": round(writer_us / decide_us, 2),
    }


def main() -> dict[str, Any]:
    per_batch = size("batch_records", 500)
    rounds = size("batch_rounds", 20)
    batches = [[record(b, n) for n in range(per_batch)] for b in range(rounds + 2)]
    sync = {message(b, records): records for b, records in enumerate(batches)}
    consumed = {consumptions(b, records): b for b, records in enumerate(batches)}
    baseline_site = stocked_site().store

    def decide_records(raw: bytes) -> object:
        return decide_distributions(lambda _: HouseholdAid(), sync[raw], NOW)

    def decide_consumptions(raw: bytes) -> object:
        gathered_ = ConsumeForDistributions.model_validate(orjson.loads(raw)["data"])
        commands = [command for _, command in gathered_.items()]
        return StockDecider.decide_batch(baseline_site.state, commands, NOW)

    figures = {
        "commands_per_batch": per_batch,
        "rounds": rounds,
        "distributions": best_rounds(
            Writer(DistributionDecider()), list(sync), decide_records, per_batch
        ),
        "stock": best_rounds(stocked_site(), list(consumed), decide_consumptions, per_batch),
    }
    return report("the writers' batches of an offline sync", figures, machine())


if __name__ == "__main__":
    main()
