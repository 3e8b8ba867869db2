"""The writers' fold benchmark measures what it says: states holding as many entries as
asked, and one more event folded the way each writer folds it."""

from __future__ import annotations

import pytest

from bench import decider_state


def test_the_location_holds_the_entries_asked() -> None:
    state = decider_state.location_with(50)

    assert len(state.entries) == 50  # the receipt and 49 distributions, each voidable
    assert state.on_hand("bench-item") == 500 - 49


def test_the_site_expects_the_households_asked() -> None:
    assert len(decider_state.site_expecting(2_500).expected) == 2_500


def test_the_warehouse_holds_the_lots_asked_over_its_items() -> None:
    state = decider_state.location_holding(120)

    assert len(state.lots) == 120
    assert {len(state.lots_of(f"bench-item-{n}")) for n in range(decider_state.ITEMS)} == {3}


def test_the_benchmark_reports_both_folds_and_their_ratios(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AID_BENCH_STATE_ENTRIES", "1500")
    monkeypatch.setenv("AID_BENCH_STATE_LOTS", "200")

    figures = decider_state.main()

    assert figures["entries"] == 1500
    for fold in ("stock_location", "site_expected_households"):
        found = figures[fold]
        assert found["fold_us_per_event"] > 0
        assert found["ratio"] == pytest.approx(
            found["fold_us_per_event"] / found["baseline_fold_us_per_event_at_1000"], abs=0.01
        )
    lots = figures["warehouse_lots"]
    assert figures["lots"] == 200
    assert lots["ratio"] == pytest.approx(
        lots["consumption_us"] / lots["baseline_consumption_us_at_40_lots"], abs=0.01
    )
