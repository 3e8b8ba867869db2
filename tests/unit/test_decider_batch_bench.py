"""The writer's-batch benchmark runs small and reports what it measured."""

from __future__ import annotations

import orjson
import pytest

from bench import decider_batch


def test_the_benchmarks_writer_accepts_every_record_and_signs_its_events() -> None:
    writer = decider_batch.Writer()
    records = [decider_batch.record(0, n) for n in range(3)]

    reply = orjson.loads(writer.take(decider_batch.message(0, records)))

    statuses = [r["status"] for r in reply["details"]["replies"]]
    assert statuses == ["accepted"] * 3
    assert [len(r["events"]) for r in reply["details"]["replies"]] == [1, 1, 1]
    assert writer.written > 0 and writer.head != "0" * 32


def test_the_benchmark_reports_the_writer_against_the_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AID_BENCH_BATCH_RECORDS", "20")

    figures = decider_batch.main()

    assert figures["records_per_batch"] == 20
    assert figures["writer_us_per_record"] > figures["baseline_decide_us_per_record"] > 0
    assert figures["ratio"] == pytest.approx(
        figures["writer_us_per_record"] / figures["baseline_decide_us_per_record"], abs=0.01
    )
