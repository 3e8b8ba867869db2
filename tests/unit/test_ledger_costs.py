"""The ledger's cost as the benchmarks count it: the hash chain measured on a log that
verifies, and, per accepted command, its events signed and chained once and verified by each
projection and policy that reads their stream."""

from __future__ import annotations

from typing import Any

import pytest

from bench import signing
from services.runtime.settings import Settings


def test_the_chain_is_measured_on_a_log_that_verifies() -> None:
    raws = signing.sample(300)

    found = signing.chain_costs(raws, Settings().ledger())

    assert set(found) == {
        "link_us_per_event",
        "sign_chain_and_encode_us_per_event",
        "link_of_record_us_per_event",
        "ledger_verify_us_per_event",
    }
    assert all(value > 0 for value in found.values()), found


def test_a_stream_is_verified_by_each_projection_and_policy_reading_it() -> None:
    """stock: inventory, history and the stock policy; distributions: registry, history and
    the policy taking a distribution's stock."""
    assert signing.readers_of("stock") == 3
    assert signing.readers_of("distributions") == 3


def test_the_command_path_is_charged_its_events_written_and_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AID_BENCH_SIGNING_EVENTS", "300")
    figures: dict[str, Any] = {"distributions": {"per_s": 100.0}, "dispatches": {"per_s": 50.0}}

    found = signing.in_commands(figures, Settings())

    write = found["sign_us_per_event"] + found["chain_us_per_event"]
    assert found["distributions_events_written"] == 2 and found["distributions_verifications"] == 6
    assert found["dispatches_events_written"] == 1 and found["dispatches_verifications"] == 3
    assert found["distributions_ledger_us_per_command"] == pytest.approx(
        2 * write + 6 * found["verify_us_per_event"], abs=0.2
    )
    assert found["dispatches_ledger_share_of_a_core"] == pytest.approx(
        found["dispatches_ledger_us_per_command"] * 50.0 / 1e6, abs=1e-4
    )
