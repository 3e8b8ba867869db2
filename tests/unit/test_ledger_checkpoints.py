"""Checkpoints: the chains' heads signed with Ed25519, published, and held to later.

The story: the stock partition's five receipts verify and their head is signed into a
checkpoint an auditor reads from the API and keeps. The checkpoint's signature fails once
anything in it is altered; the log, grown by two receipts, still extends it, while a log
rewritten before the checkpoint's offset, or cut short, does not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from events.checkpoints import BadCheckpoint, CheckpointKey, verify_checkpoint
from projections.ledger_queries import record_checkpoint
from services.runtime.ledger_verify import checkpoint_of, heads_of, verify_records
from services.runtime.settings import Settings
from tests.support.api import ApiHarness
from tests.unit.test_hash_chains import KEYS, TOPIC, chain

SETTINGS = Settings(ledger_keys="k" * 64)


def signed_checkpoint(values: list[bytes]) -> dict[str, object]:
    verified = verify_records(TOPIC, 0, enumerate(values), KEYS)
    return SETTINGS.checkpoints().sign(checkpoint_of([verified], "2026-03-02T10:00:00+00:00"))


def test_a_checkpoint_names_each_partitions_last_offset_count_and_head() -> None:
    values = chain([10, 20, 30, 40, 50])
    checkpoint = signed_checkpoint(values)

    verify_checkpoint(checkpoint, SETTINGS.checkpoints().public_key)
    [head] = checkpoint["heads"]  # type: ignore[misc]
    assert (head["topic"], head["partition"], head["offset"], head["events"]) == (TOPIC, 0, 4, 5)
    assert checkpoint["key_id"] == SETTINGS.checkpoints().key_id


def test_the_dev_key_is_derived_the_same_way_every_time_and_a_configured_one_wins() -> None:
    again = Settings(ledger_keys="k" * 64).checkpoints()
    configured = Settings(ledger_keys="k" * 64, checkpoint_key="ab" * 32).checkpoints()

    assert again.public_key == SETTINGS.checkpoints().public_key
    assert configured.public_key == CheckpointKey(bytes.fromhex("ab" * 32)).public_key
    assert configured.key_id != again.key_id


@pytest.mark.parametrize(
    ("field", "value"),
    [("issued_at", "2026-03-03T10:00:00+00:00"), ("heads", []), ("signature", "00" * 64)],
)
def test_an_altered_checkpoint_does_not_verify(field: str, value: object) -> None:
    altered = signed_checkpoint(chain([10, 20])) | {field: value}

    with pytest.raises(BadCheckpoint, match="signature does not match"):
        verify_checkpoint(altered)


def test_a_checkpoint_signed_with_another_key_is_not_this_deployments() -> None:
    other = CheckpointKey(b"\x07" * 32).sign(checkpoint_of([], "2026-03-02T10:00:00+00:00"))

    verify_checkpoint(other)  # intact
    with pytest.raises(BadCheckpoint, match="not this deployment's"):
        verify_checkpoint(other, SETTINGS.checkpoints().public_key)


def test_a_grown_log_extends_its_checkpoint_and_a_rewritten_or_shorter_one_does_not() -> None:
    values = chain([10, 20, 30, 40, 50, 60, 70])
    extends = heads_of(signed_checkpoint(values[:5]))[(TOPIC, 0)]
    rewritten = chain([10, 20, 30, 41, 50, 60, 70])  # re-signed and re-chained with the key

    assert verify_records(TOPIC, 0, enumerate(values), KEYS, extends=extends).ok
    assert verify_records(TOPIC, 0, enumerate(rewritten), KEYS).ok  # consistent in itself
    failed = verify_records(TOPIC, 0, enumerate(rewritten), KEYS, extends=extends)
    assert failed.failed_at == 4 and "does not extend the checkpoint" in (failed.reason or "")
    short = verify_records(TOPIC, 0, enumerate(values[:3]), KEYS, extends=extends)
    assert short.failed_at == 3 and "shorter than the checkpoint" in (short.reason or "")


def test_auditors_and_donors_read_the_latest_checkpoints_with_the_key_id(tmp_path: Path) -> None:
    with ApiHarness(tmp_path) as api:
        key = api.settings.checkpoints()
        for n in (1, 2):
            body = key.sign(checkpoint_of([], f"2026-03-0{n}T10:00:00+00:00"))
            record_checkpoint(api.engine, body, datetime(2026, 3, n, 10, tzinfo=UTC))

        for role in ("auditor", "donor"):
            r = api.get(role, "/v1/ledger/checkpoints")
            assert r.status_code == 200, r.text
            found = r.json()
            assert (found["key_id"], found["public_key"]) == (key.key_id, key.public_key.hex())
            assert [c["issued_at"][:10] for c in found["items"]] == ["2026-03-02", "2026-03-01"]
            for checkpoint in found["items"]:
                verify_checkpoint(checkpoint, key.public_key)
        assert api.get("operator", "/v1/ledger/checkpoints").status_code == 403


def test_the_checkpoints_answer_as_every_list_does_with_a_next_cursor(tmp_path: Path) -> None:
    """`{"items", "next"}` as the contract's lists, besides the key that signs them; a page
    of `limit` (here ten), the next one from `next`."""
    with ApiHarness(tmp_path) as api:
        key = api.settings.checkpoints()
        for n in range(1, 13):
            body = key.sign(checkpoint_of([], f"2026-03-{n:02d}T10:00:00+00:00"))
            record_checkpoint(api.engine, body, datetime(2026, 3, n, 10, tzinfo=UTC))

        found = api.get("auditor", "/v1/ledger/checkpoints", {"limit": 10}).json()
        rest = api.get("auditor", "/v1/ledger/checkpoints", {"cursor": found["next"]}).json()
        documented = api.client.get("/openapi.json").json()["components"]["schemas"]

    assert set(found) == {"key_id", "public_key", "items", "next"}
    assert len(found["items"]) == 10 and found["next"]
    assert found["items"][0]["issued_at"].startswith("2026-03-12")
    assert [c["issued_at"][:10] for c in rest["items"]] == ["2026-03-02", "2026-03-01"]
    assert rest["next"] is None
    assert set(documented["CheckpointList"]["properties"]) == set(found)
