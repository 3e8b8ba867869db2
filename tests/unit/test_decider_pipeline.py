"""The decider's batches pipelined: while batch N's writes await their acknowledgements,
batch N+1 is taken and decided, but its writes wait for N's, N is answered as soon as it is
acknowledged, and the commands' offsets are acknowledged in order, each after its batch.

The story: the Marrakech storekeeper records receipts of food baskets (batch 1) and then
dispatches baskets to Al Haouz (batch 2), against a broker that acknowledges each write a
moment later. No Kafka: the runner is driven with a fake producer and a decision log that
catches up from that producer's partitions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaTimeoutError

from events.chain import GENESIS, link_of_record
from services.domain.commands import CommandEnvelope, Reply
from services.domain.deciding import AggregateStore
from services.domain.stock.commands import ReceiveStock
from services.domain.stock.decider import StockDecider
from services.runtime.decider_pipeline import DeciderRunner
from services.runtime.decider_runner import DecisionLog
from services.runtime.settings import Settings
from tests.support.events import recorded
from tests.support.stock_stories import (
    BASKETS,
    MARRAKECH,
    RAMADAN_MORNING,
    STOREKEEPER,
    dispatch,
    line,
    received,
)

SETTINGS = Settings(topic_prefix="t.", ledger_keys="k" * 64, partitions=1)
EVENTS = TopicPartition("t.stock", 0)
ACK_AFTER = 0.02  # seconds between a write and its acknowledgement


@dataclass(frozen=True)
class Metadata:
    partition: int
    offset: int


@dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class StreamEvent:
    message: Message


class Broker:
    """A producer: writes are acknowledged `ACK_AFTER` later (or fail), replies at once;
    `journal` says what happened in which order."""

    def __init__(self, journal: list[tuple[Any, ...]]) -> None:
        self.journal = journal
        self.log: dict[TopicPartition, list[bytes]] = {}
        self.failing = False
        self.intruder: bytes | None = None  # another writer's record, before our next write

    async def send(
        self, topic: str, value: bytes, key: bytes | None = None, partition: int | None = None
    ) -> asyncio.Future[Metadata]:
        future: asyncio.Future[Metadata] = asyncio.get_running_loop().create_future()
        if topic == "t.replies":
            reply = Reply.model_validate_json(value)
            self.journal.append(("reply", reply.command_id, reply.status))
            future.set_result(Metadata(0, 0))
            return future
        tp = TopicPartition(topic, partition or 0)
        records = self.log.setdefault(tp, [])
        if self.intruder is not None and topic == EVENTS.topic:
            records.append(self.intruder)
            self.intruder = None
        self.journal.append(("write", orjson.loads(value).get("type")))
        offset = len(records)
        records.append(value)
        if self.failing:
            outcome: Any = KafkaTimeoutError()
            asyncio.get_running_loop().call_later(ACK_AFTER, future.set_exception, outcome)
        else:
            asyncio.get_running_loop().call_later(
                ACK_AFTER, future.set_result, Metadata(tp.partition, offset)
            )
        return future

    async def send_and_wait(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        self.journal.append(("dlq",))


class BrokerLog(DecisionLog):
    """A DecisionLog that catches up from the fake broker's partitions."""

    def __init__(self, broker: Broker) -> None:
        super().__init__(SETTINGS, "stock", AggregateStore(StockDecider()))
        self.broker = broker
        self.partition_count = 1

    async def catch_up(self, partitions: Any) -> None:
        self.broker.journal.append(("catch up", sorted(set(partitions))))
        for topic in (self.events_topic, self.refusals_topic):
            tp = TopicPartition(topic, 0)
            for offset, value in enumerate(self.broker.log.get(tp, [])):
                if offset >= self.next_offset.get(tp, 0):
                    record = ConsumerRecord(topic, 0, offset, 0, 0, None, value, None, 0, 0, [])
                    self._fold(tp, record)


def receipt(quantity: int, lot: str) -> CommandEnvelope:
    command = ReceiveStock(
        receipt_id=f"rcpt-{lot}".lower(), location_id=MARRAKECH, item_id=BASKETS,
        quantity=quantity, lot=lot,
    )  # fmt: skip
    return CommandEnvelope.of(command, lot, STOREKEEPER, RAMADAN_MORNING)


def dispatching(quantity: int) -> CommandEnvelope:
    return CommandEnvelope.of(dispatch(line(quantity)), "tr-001", STOREKEEPER, RAMADAN_MORNING)


def messages(*commands: CommandEnvelope, first: int = 0) -> list[StreamEvent]:
    return [
        StreamEvent(Message("t.stock-commands", 0, first + i, None, c.model_dump_json().encode()))
        for i, c in enumerate(commands)
    ]


def decide(
    batches: Sequence[list[StreamEvent]], depth: int, broker: Broker | None = None
) -> tuple[list[tuple[Any, ...]], Broker]:
    """Run the batches through a runner; the journal of what happened and the broker."""
    journal: list[tuple[Any, ...]] = []
    broker = broker or Broker(journal)
    broker.journal = journal

    async def taken() -> AsyncIterator[list[StreamEvent]]:
        for n, batch in enumerate(batches, 1):
            journal.append(("take", n))
            yield batch

    async def ack(event: StreamEvent) -> None:
        journal.append(("ack", event.message.offset))

    runner = DeciderRunner(SETTINGS, BrokerLog(broker), broker, depth)  # type: ignore[arg-type]
    asyncio.run(runner.run(taken(), ack))
    return journal, broker


def at(journal: list[tuple[Any, ...]], entry: tuple[Any, ...]) -> int:
    return journal.index(entry)


RECEIPTS = messages(receipt(10, "RB-1"), receipt(20, "RB-2"))
DISPATCH = messages(dispatching(25), first=2)


def test_the_next_batch_is_decided_while_the_first_awaits_its_acknowledgements() -> None:
    journal, broker = decide([RECEIPTS, DISPATCH], depth=2)

    first_reply = at(journal, ("reply", "ReceiveStock:RB-1", "accepted"))
    assert at(journal, ("take", 2)) < first_reply  # taken while batch 1 was in flight
    assert journal.count(("catch up", [0])) == 1  # partition 0 had writes in flight: ours
    # batch 2's write waits for batch 1's acknowledgements, replies and offsets
    assert at(journal, ("ack", 1)) < at(journal, ("write", "TransferDispatched"))
    assert at(journal, ("reply", "DispatchTransfer:tr-001", "accepted")) > at(
        journal, ("write", "TransferDispatched")
    )
    assert [e[1] for e in journal if e[0] == "ack"] == [0, 1, 2]
    # decided on the state that folded batch 1 (25 of the 30 baskets), chained after it
    receipts, dispatched = broker.log[EVENTS][:2], broker.log[EVENTS][2]
    assert orjson.loads(receipts[0])["prev"] == GENESIS
    assert orjson.loads(dispatched)["prev"] == link_of_record(receipts[1])


def test_depth_one_answers_a_batch_before_it_takes_the_next() -> None:
    journal, _ = decide([RECEIPTS, DISPATCH], depth=1)

    assert at(journal, ("ack", 1)) < at(journal, ("take", 2))
    assert journal.count(("catch up", [0])) == 2
    assert ("reply", "DispatchTransfer:tr-001", "accepted") in journal


def test_a_batch_decided_on_a_state_another_writer_changed_is_decided_again() -> None:
    """Someone else's receipt of 50 lands before batch 1's: batch 1 was folded on a state that
    misses it, so the dispatch of 40 (refused on 30 baskets) is decided again on 80."""
    broker = Broker([])
    intruder, _ = recorded(received(50, "RB-9"), command_id="ReceiveStock:RB-9")
    broker.intruder, _ = SETTINGS.ledger().encode_chained(intruder, GENESIS)

    journal, _ = decide([RECEIPTS, messages(dispatching(40), first=2)], depth=2, broker=broker)

    assert ("reply", "ReceiveStock:RB-2", "accepted") in journal  # batch 1 landed: answered
    refolded = [i for i, e in enumerate(journal) if e == ("catch up", [0])][-1]
    assert at(journal, ("ack", 1)) < refolded < at(journal, ("write", "TransferDispatched"))
    assert journal.count(("write", "TransferDispatched")) == 1  # the first decision not sent
    assert ("reply", "DispatchTransfer:tr-001", "accepted") in journal
    assert not any(e[0] == "write" and e[1] is None for e in journal)  # no refusal written
    dispatched = broker.log[EVENTS][-1]
    assert orjson.loads(dispatched)["prev"] == link_of_record(broker.log[EVENTS][-2])


def test_a_failed_batch_holds_back_the_next_one_unsent_and_unacknowledged() -> None:
    broker = Broker([])
    broker.failing = True

    with pytest.raises(KafkaTimeoutError):
        decide([RECEIPTS, DISPATCH], depth=2, broker=broker)

    journal = broker.journal
    assert ("take", 2) in journal  # taken and decided while batch 1 was in flight...
    assert ("write", "TransferDispatched") not in journal  # ...but never sent
    assert not [e for e in journal if e[0] in ("reply", "ack")]
