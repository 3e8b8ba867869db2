"""The writers'-batch benchmark runs small and reports what it measured."""

from __future__ import annotations

import orjson
import pytest

from bench import decider_batch
from services.domain.distributions.decider import DistributionDecider


def test_the_benchmarks_writer_accepts_every_record_and_signs_its_events() -> None:
    writer = decider_batch.Writer(DistributionDecider())
    records = [decider_batch.record(0, n) for n in range(3)]

    reply = orjson.loads(writer.take(decider_batch.message(0, records)))

    statuses = [r["status"] for r in reply["details"]["replies"]]
    assert statuses == ["accepted"] * 3
    assert [len(r["events"]) for r in reply["details"]["replies"]] == [1, 1, 1]
    assert writer.written > 0 and writer.head != "0" * 32


def test_the_stock_writer_takes_the_baskets_the_policy_gathers_from_the_site() -> None:
    writer = decider_batch.stocked_site()
    records = [decider_batch.record(0, n) for n in range(3)]

    reply = orjson.loads(writer.take(decider_batch.consumptions(0, records)))

    assert [r["status"] for r in reply["details"]["replies"]] == ["accepted"] * 3
    site = writer.store.state("bench-site")
    assert site.on_hand(decider_batch.CAMPAIGN.item_id) == 10**8 - 3


def test_the_benchmark_reports_each_writer_against_its_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AID_BENCH_BATCH_RECORDS", "20")
    monkeypatch.setenv("AID_BENCH_BATCH_ROUNDS", "3")

    figures = decider_batch.main()

    assert (figures["commands_per_batch"], figures["rounds"]) == (20, 3)
    for writer in ("distributions", "stock"):
        found = figures[writer]
        assert found["writer_us_per_command"] > found["baseline_decide_us_per_command"] > 0
        assert found["ratio"] == pytest.approx(
            found["writer_us_per_command"] / found["baseline_decide_us_per_command"], abs=0.01
        )
