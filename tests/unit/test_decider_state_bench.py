"""The stock writer's fold benchmark measures what it says: a location holding as many
entries as asked, and one more distribution folded the way the writer folds it."""

from __future__ import annotations

import pytest

from bench import decider_state


def test_the_location_holds_the_entries_asked() -> None:
    state = decider_state.location_with(50)

    assert len(state.entries) == 50  # the receipt and 49 distributions, each voidable
    assert state.on_hand("bench-item") == 500 - 49


def test_the_benchmark_reports_both_folds_and_their_ratio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AID_BENCH_STATE_ENTRIES", "1500")

    figures = decider_state.main()

    assert figures["entries"] == 1500
    assert figures["fold_us_per_event"] > 0
    assert figures["baseline_fold_us_per_event_at_1000_entries"] > 0
    assert figures["ratio"] == pytest.approx(
        figures["fold_us_per_event"] / figures["baseline_fold_us_per_event_at_1000_entries"],
        abs=0.01,
    )
