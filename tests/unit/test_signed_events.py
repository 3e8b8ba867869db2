"""Every event is signed by the writer that wrote it; readers refuse one that is not.

The story: a receipt of 10 food baskets at Marrakech is signed by the stock writer. Someone
who can write to the stock topic but holds no key copies it with another event id and 999
baskets, or strips its signature, or signs it with a key of their own: every reader refuses
each copy and says why, while the original, and events signed before a key rotation, still
read.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import orjson
import pytest

from events import UndecodableMessage, decode, encode
from events.reference import LocationRegistered
from events.signing import LedgerKeys, UnverifiedEvent, canonical, canonical_form
from events.stock import StockReceived
from tests.support.events import recorded
from tests.support.stock_stories import MARRAKECH, received
from tests.unit.test_upcasting import CASABLANCA_V1

OLD_SECRET, NEW_SECRET, MALLORY_SECRET = b"o" * 64, b"n" * 64, b"m" * 64
WRITERS = LedgerKeys([OLD_SECRET])


def signed_receipt(quantity: int = 10, keys: LedgerKeys = WRITERS) -> bytes:
    envelope, _ = recorded(received(quantity, "RB-2026-0001"), command_id="receipt-0001")
    return keys.encode(envelope)


def reordered(value: Any) -> Any:
    """The same JSON value with every object's keys in the reverse order."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    return value


def refusal(raw: bytes, keys: LedgerKeys = WRITERS) -> str:
    with pytest.raises(UnverifiedEvent) as refused:
        decode(raw, keys.verify)
    return refused.value.reason


# --- the canonical form ------------------------------------------------------------------


def test_the_canonical_form_does_not_depend_on_the_order_of_keys() -> None:
    payload = orjson.loads(signed_receipt())
    shuffled = reordered(payload)

    assert list(shuffled) != list(payload) and list(shuffled["data"]) != list(payload["data"])
    assert canonical(shuffled) == canonical(payload)
    assert b"signature" not in canonical(payload) and b'"key_id"' in canonical(payload)
    decode(orjson.dumps(shuffled), WRITERS.verify)  # the same event, written in another order


def test_the_canonical_form_is_that_of_the_envelope_as_encoded() -> None:
    raw = signed_receipt()
    envelope, _ = decode(raw, WRITERS.verify)

    assert canonical_form(envelope) == canonical(orjson.loads(raw))
    assert decode(encode(envelope), WRITERS.verify)[0] == envelope  # read, written, read again


def test_an_old_version_signed_then_upcast_on_the_way_in_still_verifies() -> None:
    raw = orjson.dumps(WRITERS.signed_payload(orjson.loads(CASABLANCA_V1)))

    envelope, event = decode(raw, WRITERS.verify)

    assert isinstance(event, LocationRegistered) and event.region_code == "MA06"
    assert envelope.version == 1 and envelope.data["region"] == "MA06"  # what was signed
    assert canonical_form(envelope) == canonical(orjson.loads(raw))


# --- what readers refuse -----------------------------------------------------------------


def test_a_signed_receipt_reads() -> None:
    envelope, event = decode(signed_receipt(), WRITERS.verify)

    assert isinstance(event, StockReceived) and event.quantity == 10
    assert envelope.key_id == WRITERS.signing_key_id and envelope.signature


def test_a_copy_with_another_id_and_999_baskets_is_refused() -> None:
    forged = orjson.loads(signed_receipt())
    forged["event_id"] = str(uuid4())
    forged["data"]["quantity"] = 999

    reason = refusal(orjson.dumps(forged))

    assert reason == f"signature does not match the event (key {WRITERS.signing_key_id})"


def test_an_unsigned_receipt_is_refused() -> None:
    unsigned = orjson.loads(signed_receipt())
    del unsigned["signature"], unsigned["key_id"]

    assert refusal(orjson.dumps(unsigned)) == "unsigned event"
    envelope, _ = recorded(received(10, "RB-2026-0001"), command_id="receipt-0001")
    assert refusal(encode(envelope)) == "unsigned event"  # as written before signing


def test_a_receipt_signed_with_a_key_the_readers_do_not_hold_is_refused() -> None:
    mallory = LedgerKeys([MALLORY_SECRET])

    assert refusal(signed_receipt(999, mallory)) == (
        f"signed with an unknown key {mallory.signing_key_id!r}"
    )


def test_a_receipt_re_signed_with_another_key_under_the_writers_key_id_is_refused() -> None:
    mallory = LedgerKeys([MALLORY_SECRET])
    forged = mallory.signed_payload(orjson.loads(signed_receipt()) | {"event_id": str(uuid4())})
    forged["key_id"] = WRITERS.signing_key_id  # claims the writers' key...
    forged["signature"] = mallory.signed_payload(forged)["signature"]  # ...signs with another

    assert refusal(orjson.dumps(forged)).startswith("signature does not match")


def test_a_signature_of_the_wrong_shape_is_refused_not_crashed_on() -> None:
    for signature in ("é" * 43, "", "x"):
        payload = orjson.loads(signed_receipt()) | {"signature": signature}
        assert refusal(orjson.dumps(payload)) in {
            "unsigned event",
            f"signature does not match the event (key {WRITERS.signing_key_id})",
        }
    for signature in (123, ["x"]):  # not a string: not an envelope at all
        payload = orjson.loads(signed_receipt()) | {"signature": signature}
        with pytest.raises(UndecodableMessage, match="bad envelope: signature"):
            decode(orjson.dumps(payload), WRITERS.verify)


def test_a_message_no_reader_can_read_says_so_before_its_signature_is_checked() -> None:
    payload = orjson.loads(signed_receipt()) | {"type": "StockEaten"}
    with pytest.raises(UndecodableMessage, match="unknown event type"):
        decode(orjson.dumps(payload), WRITERS.verify)


# --- rotation ----------------------------------------------------------------------------


def test_after_a_rotation_the_new_key_signs_and_the_old_one_still_verifies() -> None:
    rotated = LedgerKeys([NEW_SECRET, OLD_SECRET])
    before = signed_receipt(keys=WRITERS)
    after = signed_receipt(keys=rotated)

    assert rotated.signing_key_id != WRITERS.signing_key_id
    assert rotated.key_ids == [rotated.signing_key_id, WRITERS.signing_key_id]
    assert decode(after, rotated.verify)[0].key_id == rotated.signing_key_id
    assert decode(before, rotated.verify)[0].key_id == WRITERS.signing_key_id
    # a reader not yet given the new key refuses what it signs, and says which key it lacks
    assert refusal(after, WRITERS) == f"signed with an unknown key {rotated.signing_key_id!r}"


def test_key_ids_are_stable_and_reveal_nothing_of_the_key() -> None:
    again = LedgerKeys([OLD_SECRET])

    assert again.signing_key_id == WRITERS.signing_key_id
    assert len(WRITERS.signing_key_id) == 12 and OLD_SECRET.decode()[:12] != WRITERS.signing_key_id
    assert signed_receipt(keys=again) == signed_receipt()  # signing is deterministic


def test_a_key_ring_needs_a_key() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        LedgerKeys([])


def test_the_secret_itself_never_appears_in_what_is_written() -> None:
    raw = signed_receipt()
    assert OLD_SECRET not in raw and MARRAKECH.encode() in raw
