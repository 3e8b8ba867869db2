"""What a writer spends on a batch of an offline sync beyond deciding it.

`python -m bench.decider_batch` needs no Kafka and no database. The distributions' writer
takes `RecordDistributions` of `AID_BENCH_BATCH_RECORDS` records (500, as the API sends
them), each for a household not seen before, as the deciders' process does: the command
message read, every record decided on the folded state, its events put in their envelopes,
folded, chained and signed into the bytes the log gets, and the batch's reply written. The
same-run baseline is the decision alone: `decide_distributions` over the same records,
already read. Figures are µs of CPU per record, the best of `AID_BENCH_BATCH_ROUNDS` (20).
"""

from __future__ import annotations

import gc
import time
from datetime import UTC, date, datetime
from typing import Any

import orjson

from bench.common import machine, report, size
from events import Actor
from events.households import CampaignOpened
from services.domain.commands import CommandEnvelope
from services.domain.deciding import AggregateStore
from services.domain.distributions.commands import RecordDistribution, RecordDistributions
from services.domain.distributions.decider import (
    DistributionDecider,
    HouseholdAid,
    decide_distributions,
)
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


class Writer:
    """The deciders' process's work on a batch, without Kafka: read, decide, fold, chain,
    sign, answer."""

    def __init__(self) -> None:
        self.store = AggregateStore(DistributionDecider())
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


def main() -> dict[str, Any]:
    per_batch = size("batch_records", 500)
    rounds = size("batch_rounds", 20)
    # a fresh batch of fresh households for each round, and two to warm up
    batches = [[record(b, n) for n in range(per_batch)] for b in range(rounds + 2)]
    messages = [message(b, records) for b, records in enumerate(batches)]
    writer = Writer()
    writer.take(messages[0])  # the first batch imports and compiles what it needs
    accepted = orjson.loads(writer.take(messages[1]))["details"]["replies"]
    assert all(r["status"] == "accepted" for r in accepted), accepted[:1]
    # Each round times the writer, then the decision alone, on batches of their own, so
    # both see the machine alike; the best round of each, the collector off (bench.signing).
    best = {"writer": float("inf"), "decide": float("inf")}
    collecting = gc.isenabled()
    gc.disable()
    try:
        for n in range(2, rounds + 2):
            started = time.process_time()
            writer.take(messages[n])
            best["writer"] = min(best["writer"], time.process_time() - started)
            started = time.process_time()
            decide_distributions(lambda _: HouseholdAid(), batches[n], NOW)
            best["decide"] = min(best["decide"], time.process_time() - started)
    finally:
        if collecting:
            gc.enable()
    writer_us, decide_us = (round(best[k] / per_batch * 1e6, 2) for k in ("writer", "decide"))
    figures = {
        "records_per_batch": per_batch,
        "rounds": rounds,
        "writer_us_per_record": writer_us,
        "baseline_decide_us_per_record": decide_us,
        "ratio": round(writer_us / decide_us, 2),
    }
    return report("a writer's batch of an offline sync", figures, machine())


if __name__ == "__main__":
    main()
