"""The readers of one process that check alike decode and verify a record once: the next
reader of the same place and bytes gets what the first read, never what another key ring
accepted, nor what another record held there."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from events import Envelope, Event, decode
from events.serialization import Verify
from events.signing import UnverifiedEvent
from events.stock import StockReceived
from services.runtime.ledger import LogReader, RecentlyRead
from services.runtime.settings import Settings
from tests.support.events import recorded
from tests.support.stock_stories import received

SETTINGS = Settings(topic_prefix="cache.")
TOPIC = "cache.stock"


def signed(quantity: int, n: int, settings: Settings = SETTINGS) -> bytes:
    envelope = recorded(received(quantity, f"RB-{n}"), command_id=f"receipt-{n}")[0]
    return settings.ledger().encode(envelope)


class Counted:
    """`decode`, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, raw: bytes | None, verify: Verify | None = None) -> tuple[Envelope, Event]:
        self.calls += 1
        return decode(raw, verify)


def test_a_second_reader_of_a_record_gets_what_the_first_decoded() -> None:
    first, second = Counted(), Counted()
    history, inventory = (
        LogReader(SETTINGS, first, share=True),
        LogReader(SETTINGS, second, share=True),
    )
    raw = signed(10, 1)

    envelope, event = history.read(TOPIC, 0, 7, raw)
    again = inventory.read(TOPIC, 0, 7, bytes(raw))  # its own copy of the record's bytes

    assert again[0] is envelope and again[1] is event
    assert isinstance(event, StockReceived) and event.quantity == 10
    assert (first.calls, second.calls) == (1, 0)


def test_a_reader_that_does_not_share_decodes_for_itself() -> None:
    decoder = Counted()
    LogReader(SETTINGS, share=True).read(TOPIC, 4, 0, signed(10, 7))

    LogReader(SETTINGS, decoder).read(TOPIC, 4, 0, signed(10, 7))

    assert decoder.calls == 1


def test_other_bytes_at_the_same_place_are_decoded_anew() -> None:
    decoder = Counted()
    reader = LogReader(SETTINGS, decoder, share=True)
    reader.read(TOPIC, 1, 0, signed(10, 2))

    _, event = reader.read(TOPIC, 1, 0, signed(25, 3))  # a topic deleted and made again

    assert isinstance(event, StockReceived) and event.quantity == 25
    assert decoder.calls == 2


def test_a_reader_trusting_other_keys_does_not_take_what_another_ring_accepted() -> None:
    LogReader(SETTINGS, share=True).read(TOPIC, 2, 0, signed(10, 4))
    stranger = LogReader(
        Settings(topic_prefix="cache.", ledger_keys="another ring's key " * 3), share=True
    )

    with pytest.raises(UnverifiedEvent, match="unknown key"):
        stranger.read(TOPIC, 2, 0, signed(10, 4))


def test_a_record_no_reader_could_read_is_refused_each_time() -> None:
    decoder = Counted()
    reader = LogReader(SETTINGS, decoder, share=True)

    forged = orjson.loads(signed(10, 6))
    forged["data"]["quantity"] = 999
    for _ in range(2):
        with pytest.raises(UnverifiedEvent, match="does not match"):
            reader.read(TOPIC, 3, 0, orjson.dumps(forged))
    assert decoder.calls == 2


def test_only_the_last_records_read_are_kept() -> None:
    recent = RecentlyRead(size=2)
    raw = signed(10, 5)
    envelope, event = decode(raw)
    places: list[Any] = [(TOPIC, 0, offset) for offset in range(3)]
    for place in places:
        recent.put(place, raw, envelope, event)

    assert recent.get(places[0], raw) is None
    assert recent.get(places[1], raw) == (envelope, event)
    assert recent.get(places[2], raw) == (envelope, event)
