"""The log's readers refuse unverified events; the writers sign what they write.

A forged receipt produced straight to the stock topic is parked by the projector in the DLQ
with its reason and changes nothing, is not folded by the stock decider and causes no
policy's command; a log written before signing upgrades once, by naming the end offsets
below which unsigned events are still accepted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord, TopicPartition

from events import Envelope, Event, encode
from events.chain import GENESIS, link_of_record
from events.signing import LedgerKeys, UnverifiedEvent
from events.stock import StockReceived, TransferCancelled
from projections.registry import PROJECTIONS, viewed_streams
from services.domain.positions import Position
from services.runtime.dead_letters import Origin
from services.runtime.decider_runner import DecisionLog
from services.runtime.ledger import LogReader
from services.runtime.policies import react
from services.runtime.projector import Projector
from services.runtime.publisher import KafkaEventPublisher
from services.runtime.settings import Settings
from tests.support.events import recorded
from tests.support.stock_stories import MARRAKECH, received

SETTINGS = Settings(topic_prefix="t.")
TOPIC = "t.stock"


def receipt(quantity: int = 10, n: int = 1) -> Envelope:
    return recorded(received(quantity, f"RB-{n}"), command_id=f"receipt-{n}")[0]


def signed(quantity: int = 10, n: int = 1) -> bytes:
    return SETTINGS.ledger().encode(receipt(quantity, n))


def forged(quantity: int = 999, n: int = 2) -> bytes:
    """A copy of a signed receipt with another id and quantity: its signature no longer fits."""
    payload = orjson.loads(signed(10, n))
    payload["data"]["quantity"] = quantity
    return orjson.dumps(payload)


def record(value: bytes, offset: int = 0, partition: int = 0) -> ConsumerRecord[Any, Any]:
    key = MARRAKECH.encode()
    return ConsumerRecord(TOPIC, partition, offset, 0, 0, key, value, None, 0, len(value), [])


# --- the upgrade of a log written before signing -----------------------------------------


def test_unsigned_events_are_accepted_only_below_the_ends_named_at_the_upgrade() -> None:
    upgraded = LogReader(Settings(topic_prefix="t.", accept_unsigned_before={"stock": [3, 0]}))
    old = encode(receipt())

    envelope, event = upgraded.read(TOPIC, 0, 2, old)
    assert isinstance(event, StockReceived) and envelope.signature is None
    for partition, offset in ((0, 3), (1, 0), (2, 0)):  # at the end, or no old events there
        with pytest.raises(UnverifiedEvent, match="unsigned event"):
            upgraded.read(TOPIC, partition, offset, old)
    with pytest.raises(UnverifiedEvent, match="unsigned event"):
        upgraded.read("t.distributions", 0, 0, old)  # another stream
    with pytest.raises(UnverifiedEvent, match="signature does not match"):
        upgraded.read(TOPIC, 0, 0, forged())  # signed, but wrongly: refused even below the end
    with pytest.raises(UnverifiedEvent, match="unsigned event"):
        LogReader(SETTINGS).read(TOPIC, 0, 0, old)


# --- the projector -----------------------------------------------------------------------


@dataclass
class Parked:
    topic: str
    value: bytes
    key: bytes | None


class FakeDlq:
    """The DLQ producer: what was parked."""

    def __init__(self) -> None:
        self.parked: list[Parked] = []

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        self.parked.append(Parked(topic, value, key))


@pytest.mark.parametrize("name", ["inventory", "users"])  # read as views, and by pydantic
def test_the_projector_parks_a_forged_receipt_with_its_reason_and_applies_the_signed_one(
    name: str,
) -> None:
    dlq = FakeDlq()
    projection = PROJECTIONS[name]
    assert ("stock" in viewed_streams(projection)) is (name == "inventory")
    projector = Projector(SETTINGS, None, projection, dlq, consumer=object())  # type: ignore[arg-type]

    async def read() -> list[Any]:
        records = [record(signed(), 0), record(forged(), 1), record(encode(receipt(5, 3)), 2)]
        return [await projector._message(r) for r in records]

    good, bad, unsigned = asyncio.run(read())

    assert isinstance(good.event, StockReceived) and good.event.quantity == 10
    assert (bad.offset, bad.event, unsigned.offset, unsigned.event) == (1, None, 2, None)
    reasons = [orjson.loads(p.value) for p in dlq.parked]
    assert [(r["reason"].split(" (")[0], r["offset"]) for r in reasons] == [
        ("signature does not match the event", 1),
        ("unsigned event", 2),
    ]
    assert {p.topic for p in dlq.parked} == {"t.dlq"}


# --- the decider -------------------------------------------------------------------------


class FoldedStore:
    """The part of an AggregateStore a DecisionLog feeds: what it applied."""

    def __init__(self) -> None:
        self.applied: list[tuple[Event, Position]] = []

    def apply(self, envelope: Envelope, event: Event, position: Position, key: str | None) -> None:
        self.applied.append((event, position))


def test_the_stock_writer_does_not_fold_a_forged_or_unsigned_receipt() -> None:
    store = FoldedStore()
    decisions = DecisionLog(SETTINGS, "stock", store)  # type: ignore[arg-type]
    tp = TopicPartition(TOPIC, 0)

    for offset, value in enumerate([signed(10, 1), forged(999, 2), encode(receipt(7, 3))]):
        decisions._fold(tp, record(value, offset))

    assert [(e.quantity, p.offset) for e, p in store.applied] == [(10, 0)]  # type: ignore[attr-defined]
    assert decisions.next_offset[tp] == 3  # passed over, not read again


# --- the policies ------------------------------------------------------------------------


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def test_a_policy_reacts_to_a_signed_event_only() -> None:
    reacted: list[int] = []

    async def reaction(bus: Any, envelope: Envelope, event: Event) -> None:
        assert isinstance(event, StockReceived)
        reacted.append(event.quantity)

    async def run() -> None:
        reader = LogReader(SETTINGS)
        for offset, value in enumerate([forged(999), encode(receipt(7, 3)), signed(10)]):
            message: Origin = Message(TOPIC, 0, offset, MARRAKECH.encode(), value)
            await react(None, {StockReceived: reaction}, reader, message)  # type: ignore[arg-type]

    asyncio.run(run())
    assert reacted == [10]


# --- the writers -------------------------------------------------------------------------


class RecordingPublisher(KafkaEventPublisher):
    """The real publisher, with the broker replaced by a list of what was appended."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.appended: list[tuple[str, str, bytes]] = []
        self.partitions: list[int | None] = []

    def head_of(self, stream: str, key: str) -> tuple[int, str]:
        last = self.appended[-1][2] if self.appended else None
        return 1, GENESIS if last is None else link_of_record(last)

    def _send(
        self, stream: str, messages: Sequence[tuple[str, bytes]], partition: int | None
    ) -> list[Position]:
        self.appended += [(stream, key, value) for key, value in messages]
        self.partitions += [partition] * len(messages)
        return [Position(stream, 0, n) for n in range(len(messages))]


def test_the_publisher_signs_every_event_with_the_first_key_of_the_ring() -> None:
    rotated = Settings(topic_prefix="t.", ledger_keys=f"{'n' * 64},{'o' * 64}")
    publisher = RecordingPublisher(rotated)

    publisher.publish("stock", MARRAKECH, [receipt(10, 1), receipt(20, 2)])

    older = LedgerKeys([b"o" * 64])
    for _, _, value in publisher.appended:
        payload = orjson.loads(value)
        assert payload["key_id"] == rotated.ledger().signing_key_id != older.signing_key_id
        rotated.ledger().verify(payload)
    assert [orjson.loads(v)["data"]["quantity"] for _, _, v in publisher.appended] == [10, 20]


def test_the_upgrade_prints_the_setting_that_readers_then_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from services.runtime import ledger
    from services.runtime.cli import app

    ends = {"stock": [120, 98, 0], "users": [7, 0, 3]}
    monkeypatch.setattr(ledger, "end_offsets", lambda settings: ends)  # the brokers' answer

    printed = CliRunner().invoke(app, ["ledger", "unsigned-ends"])

    assert printed.exit_code == 0, printed.output
    name, _, value = printed.output.strip().partition("=")
    assert name == "AID_ACCEPT_UNSIGNED_BEFORE"
    monkeypatch.setenv(name, value.strip("'"))
    upgraded = Settings(topic_prefix="t.")
    assert upgraded.accept_unsigned_before == ends
    assert isinstance(
        LogReader(upgraded).read("t.users", 2, 2, encode(receipt()))[1], StockReceived
    )
    with pytest.raises(UnverifiedEvent, match="unsigned event"):
        LogReader(upgraded).read("t.users", 1, 0, encode(receipt()))


class CountingReader(LogReader):
    """A reader that notes the offsets it decodes."""

    def __init__(self) -> None:
        super().__init__(SETTINGS)
        self.decoded: list[int] = []

    def read(
        self, topic: str, partition: int, offset: int, raw: bytes | None
    ) -> tuple[Envelope, Event]:
        self.decoded.append(offset)
        return super().read(topic, partition, offset, raw)


def test_a_policy_decodes_only_the_events_of_the_types_it_reacts_to() -> None:
    reacted: list[str] = []

    async def reaction(bus: Any, envelope: Envelope, event: Event) -> None:
        reacted.append(event.TYPE)

    async def run(reactions: dict[type[Event], Any]) -> list[int]:
        reader = CountingReader()
        for offset, value in enumerate([signed(10), b"{not json", b"[]", None]):
            message: Origin = Message(TOPIC, 0, offset, MARRAKECH.encode(), value)
            await react(None, reactions, reader, message)  # type: ignore[arg-type]
        return reader.decoded

    assert asyncio.run(run({TransferCancelled: reaction})) == []
    assert reacted == []
    assert asyncio.run(run({StockReceived: reaction, TransferCancelled: reaction})) == [0]
    assert reacted == ["StockReceived"]
