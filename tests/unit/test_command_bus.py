"""The API's command bus: one answer for every request of a command, only to its own requests.

No broker here: the bus publishes to a recording publisher and replies are handed to it
as its listener would, so each case controls exactly which reply arrives when.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from events import Actor
from services.app.errors import BrokerUnavailable
from services.domain.commands import CommandEnvelope, Reply
from services.domain.stock.commands import ReceiveStock
from services.runtime.command_bus import DecisionTimeout, KafkaCommandBus
from services.runtime.settings import Settings

T = TypeVar("T")
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
AMINA = Actor(user_id="amina", role="operator")
YOUSSEF = Actor(user_id="youssef", role="operator")


class RecordingWriter:
    """Keeps what the bus sends, as the decoded envelopes; can pretend Kafka is down."""

    def __init__(self) -> None:
        self.sent: list[CommandEnvelope] = []
        self.down = False

    async def append(self, stream: str, messages: Sequence[tuple[str, bytes]]) -> None:
        if self.down:
            raise BrokerUnavailable("broker is down (fake)")
        self.sent.extend(CommandEnvelope.model_validate_json(value) for _, value in messages)

    async def stop(self) -> None:
        pass


def receipt(quantity: int = 10, receipt_id: str = "rcpt-1") -> ReceiveStock:
    return ReceiveStock(
        receipt_id=receipt_id, location_id="wh-casablanca", item_id="flour", lot="L1",
        quantity=quantity,
    )  # fmt: skip


def request(
    quantity: int = 10, actor: Actor = AMINA, receipt_id: str = "rcpt-1"
) -> tuple[ReceiveStock, CommandEnvelope]:
    command = receipt(quantity, receipt_id)
    return command, CommandEnvelope.of(command, receipt_id, actor, NOW)


def answer(envelope: CommandEnvelope, status: str = "accepted", **fields: Any) -> Reply:
    """The decider's reply to one sent message, echoing its token."""
    return Reply(
        command_id=envelope.command_id,
        status=status,  # type: ignore[arg-type]
        reply_to=envelope.reply_to,
        **fields,
    )


def run(test: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(test)


@pytest.fixture
def bus(tmp_path: Path) -> KafkaCommandBus:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/rm.db",
        data_dir=tmp_path,
        decision_timeout_seconds=1.0,
    )
    bus = KafkaCommandBus(settings, RecordingWriter())  # type: ignore[arg-type]
    bus.ready.set()  # as if the reply listener were assigned to the end of the replies
    return bus


def published(bus: KafkaCommandBus) -> list[CommandEnvelope]:
    return bus.writer.sent  # type: ignore[attr-defined, no-any-return]


async def until_sent(bus: KafkaCommandBus, count: int) -> list[CommandEnvelope]:
    for _ in range(2000):  # (the bus publishes from a worker thread: on a busy machine, later)
        if len(published(bus)) >= count:
            return published(bus)
        await asyncio.sleep(0.005)
    raise AssertionError(f"{len(published(bus))} messages sent, expected {count}")


async def until_waiting(bus: KafkaCommandBus, count: int) -> None:
    """Until `count` requests wait for the messages in flight."""
    for _ in range(2000):
        if sum(sent.waiters for sent in bus.waiting.values()) >= count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"fewer than {count} requests waiting")


def test_two_requests_for_one_command_share_its_message_and_both_get_its_reply(
    bus: KafkaCommandBus,
) -> None:
    async def scenario() -> None:
        first = asyncio.create_task(bus.send(*request()))
        await until_sent(bus, 1)
        retry = asyncio.create_task(bus.send(*request()))  # the retry, while the first waits
        await asyncio.sleep(0.05)
        (message,) = published(bus)
        assert message.reply_to, "every message carries its reply token"
        reply = answer(message, position="stock:0:7")
        bus.resolve(reply)
        assert await asyncio.wait_for(asyncio.gather(first, retry), 5) == [reply, reply]
        assert bus.waiting == {} and bus.in_flight == {} and bus.tokens == {}

    run(scenario())


def test_twenty_requests_in_flight_are_answered_by_one_reply(bus: KafkaCommandBus) -> None:
    async def scenario() -> None:
        requests = [asyncio.create_task(bus.send(*request())) for _ in range(20)]
        (message,) = await until_sent(bus, 1)
        await asyncio.sleep(0.05)
        reply = answer(message)
        bus.resolve(reply)
        assert await asyncio.wait_for(asyncio.gather(*requests), 5) == [reply] * 20
        assert len(published(bus)) == 1

    run(scenario())


def test_a_reply_to_another_callers_message_never_answers_yours(bus: KafkaCommandBus) -> None:
    async def scenario() -> None:
        mine = asyncio.create_task(bus.send(*request(10, AMINA)))
        await until_sent(bus, 1)
        theirs = asyncio.create_task(bus.send(*request(99, YOUSSEF)))  # same id, other receipt
        my_message, their_message = await until_sent(bus, 2)
        assert my_message.command_id == their_message.command_id
        assert my_message.reply_to != their_message.reply_to
        their_reply = answer(their_message, position="stock:0:1")
        bus.resolve(their_reply)
        assert await asyncio.wait_for(theirs, 5) == their_reply
        await asyncio.sleep(0.05)
        assert not mine.done(), "the other caller's answer reached this request"
        bus.resolve(answer(my_message.model_copy(update={"reply_to": "forged"})))
        await asyncio.sleep(0.05)
        assert not mine.done(), "a reply for an unknown token answered this request"
        mine_reply = answer(my_message, "refused", error="idempotency_conflict")
        bus.resolve(mine_reply)
        assert await asyncio.wait_for(mine, 5) == mine_reply

    run(scenario())


def test_the_same_receipt_by_two_callers_is_two_requests(bus: KafkaCommandBus) -> None:
    async def scenario() -> None:
        amina = asyncio.create_task(bus.send(*request(10, AMINA)))
        youssef = asyncio.create_task(bus.send(*request(10, YOUSSEF)))
        sent = await until_sent(bus, 2)  # in either order: each publishes from its own thread
        a, y = (next(m for m in sent if m.actor == who) for who in (AMINA, YOUSSEF))
        bus.resolve(answer(y, replayed=True))
        bus.resolve(answer(a))
        assert (await amina).replayed is False and (await youssef).replayed is True

    run(scenario())


def test_one_request_giving_up_leaves_the_others_waiting_for_the_reply(
    bus: KafkaCommandBus,
) -> None:
    async def scenario() -> None:
        first = asyncio.create_task(bus.send(*request()))
        (message,) = await until_sent(bus, 1)
        await asyncio.sleep(0.6)
        retry = asyncio.create_task(bus.send(*request()))
        with pytest.raises(DecisionTimeout):
            await first  # its own time is up (1 s)
        assert not retry.done()
        reply = answer(message)
        bus.resolve(reply)
        assert await asyncio.wait_for(retry, 5) == reply
        assert len(published(bus)) == 1

    run(scenario())


def test_a_cancelled_request_does_not_cancel_the_others(bus: KafkaCommandBus) -> None:
    async def scenario() -> None:
        first = asyncio.create_task(bus.send(*request()))
        (message,) = await until_sent(bus, 1)
        retry = asyncio.create_task(bus.send(*request()))
        await asyncio.sleep(0.02)
        first.cancel()  # the client hung up
        await asyncio.sleep(0.02)
        reply = answer(message)
        bus.resolve(reply)
        assert await asyncio.wait_for(retry, 5) == reply

    run(scenario())


def test_after_the_reply_a_new_request_sends_the_command_again(bus: KafkaCommandBus) -> None:
    async def scenario() -> None:
        first = asyncio.create_task(bus.send(*request()))
        (message,) = await until_sent(bus, 1)
        bus.resolve(answer(message))
        await first
        again = asyncio.create_task(bus.send(*request()))
        _, second = await until_sent(bus, 2)
        assert second.reply_to != message.reply_to
        replay = answer(second, replayed=True)
        bus.resolve(replay)
        assert await again == replay

    run(scenario())


def test_a_reply_without_a_token_answers_its_command_id_as_before(bus: KafkaCommandBus) -> None:
    async def scenario() -> None:
        first = asyncio.create_task(bus.send(*request()))
        retry = asyncio.create_task(bus.send(*request()))
        (message,) = await until_sent(bus, 1)
        await until_waiting(bus, 2)
        old_worker = Reply(command_id=message.command_id, status="accepted")
        bus.resolve(old_worker)
        assert await asyncio.wait_for(asyncio.gather(first, retry), 5) == [old_worker] * 2

    run(scenario())


def test_a_batch_sends_a_record_once_and_joins_a_request_already_in_flight(
    bus: KafkaCommandBus,
) -> None:
    async def scenario() -> None:
        online = asyncio.create_task(bus.send(*request(receipt_id="r-2")))
        await until_sent(bus, 1)
        batch = [request(receipt_id=f"r-{n}") for n in (1, 2, 3, 1)]
        sync = asyncio.create_task(bus.send_many(batch))
        twice = asyncio.create_task(bus.send_many(batch))  # the same sync, sent twice
        messages = await until_sent(bus, 3)
        await asyncio.sleep(0.05)
        assert sorted(m.command_id for m in messages) == [f"ReceiveStock:r-{n}" for n in (1, 2, 3)]
        replies = {m.command_id: answer(m, position=f"stock:0:{n}") for n, m in enumerate(messages)}
        for reply in replies.values():
            bus.resolve(reply)
        expected = [replies[f"ReceiveStock:r-{n}"] for n in (1, 2, 3, 1)]
        assert await asyncio.wait_for(sync, 5) == expected
        assert await asyncio.wait_for(twice, 5) == expected
        assert await online == replies["ReceiveStock:r-2"]
        assert len(published(bus)) == 3

    run(scenario())


def test_a_batch_record_reusing_an_id_for_something_else_gets_its_own_answer(
    bus: KafkaCommandBus,
) -> None:
    async def scenario() -> None:
        sync = asyncio.create_task(bus.send_many([request(10), request(20)]))
        first, second = await until_sent(bus, 2)
        accepted = answer(first)
        conflict = answer(second, "refused", error="idempotency_conflict")
        bus.resolve(conflict)
        bus.resolve(accepted)
        assert await asyncio.wait_for(sync, 5) == [accepted, conflict]

    run(scenario())


def test_when_kafka_refuses_the_message_every_request_for_it_is_told_at_once(
    bus: KafkaCommandBus,
) -> None:
    async def scenario() -> None:
        bus.writer.down = True  # type: ignore[attr-defined]
        requests = [asyncio.create_task(bus.send(*request())) for _ in range(3)]
        outcomes = await asyncio.wait_for(asyncio.gather(*requests, return_exceptions=True), 5)
        assert all(isinstance(o, BrokerUnavailable) for o in outcomes), outcomes
        assert not isinstance(outcomes[0], DecisionTimeout)
        assert bus.waiting == {} and bus.in_flight == {}
        bus.writer.down = False  # type: ignore[attr-defined]
        retry = asyncio.create_task(bus.send(*request()))
        (message,) = await until_sent(bus, 1)
        bus.resolve(answer(message))
        assert (await retry).status == "accepted"

    run(scenario())
