"""The routing benchmark runs small and reports what it measured."""

from __future__ import annotations

import pytest

from bench import routing


def test_the_benchmark_finds_each_request_the_same_route_both_ways_and_reports_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AID_BENCH_ROUTING_ROUNDS", "2")

    figures = routing.main()

    for method, path in routing.REQUESTS:
        found = figures[f"{method} {path}"]
        assert found["entry"] >= 0
        assert found["us_passing_over"] > 0 and found["us_every_route"] > 0
        assert found["ratio"] == pytest.approx(
            found["us_passing_over"] / found["us_every_route"], abs=0.01
        )
