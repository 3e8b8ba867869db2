"""Where a sampled command's milliseconds go: the API's request is stamped on arrival and
answer, the bus when the command is written and its reply heard, the decider in between;
the response says it in a Server-Timing header, with durations only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.timing import CommandTimings
from events import Actor
from services.domain.commands import CommandEnvelope, Reply
from services.domain.stock.commands import ReceiveStock
from services.runtime.command_bus import KafkaCommandBus
from services.runtime.command_timing import (
    STAGES,
    CommandTiming,
    Sampler,
    current_timing,
    parse,
    stamped,
)
from services.runtime.settings import Settings

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
AMINA = Actor(user_id="amina", role="operator")


class RecordingWriter:
    def __init__(self) -> None:
        self.sent: list[CommandEnvelope] = []

    async def append(self, stream: str, messages: Sequence[tuple[str, bytes]]) -> None:
        self.sent.extend(CommandEnvelope.model_validate_json(value) for _, value in messages)

    async def stop(self) -> None:
        pass


def receipt(receipt_id: str) -> tuple[ReceiveStock, CommandEnvelope]:
    command = ReceiveStock(
        receipt_id=receipt_id, location_id="wh-casablanca", item_id="flour", lot="L1",
        quantity=120,
    )  # fmt: skip
    return command, CommandEnvelope.of(command, receipt_id, AMINA, NOW)


@pytest.fixture
def bus(tmp_path: Path) -> KafkaCommandBus:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/rm.db", data_dir=tmp_path)
    bus = KafkaCommandBus(settings, RecordingWriter())  # type: ignore[arg-type]
    bus.ready.set()
    return bus


def test_one_write_in_every_n_is_sampled_and_none_with_zero() -> None:
    every_third, never = Sampler(3), Sampler(0)

    assert [every_third() for _ in range(7)] == [True, False, False, True, False, False, True]
    assert not any(never() for _ in range(5))


def test_the_decider_stamps_when_it_took_the_batch_had_the_events_acknowledged_and_replied() -> (
    None
):
    reply = Reply(command_id="ReceiveStock:rcpt-1", status="accepted", reply_to="t1")

    timed = stamped(reply, took=100.0, acked=100.02)

    assert timed.stages is not None
    assert timed.stages["decider_took"] == 100.0 and timed.stages["events_acked"] == 100.02
    assert timed.stages["reply_sent"] >= time.time() - 5
    assert timed.reply_to == "t1" and reply.stages is None


def test_the_bus_times_the_first_command_of_a_sampled_request_and_notes_its_reply(
    bus: KafkaCommandBus,
) -> None:
    timing = CommandTiming()

    async def scenario() -> list[Reply]:
        current_timing.set(timing)
        sending = asyncio.create_task(bus.send_many([receipt("rcpt-1"), receipt("rcpt-2")]))
        while len(bus.writer.sent) < 2:  # type: ignore[attr-defined]
            await asyncio.sleep(0.005)
        for message in bus.writer.sent:  # type: ignore[attr-defined]
            stages = {"decider_took": 1.0, "events_acked": 2.0, "reply_sent": 3.0}
            reply = Reply(
                command_id=message.command_id,
                status="accepted",
                reply_to=message.reply_to,
                stages=stages if message.timed else None,
            )
            bus.resolve(reply)
        return await asyncio.wait_for(sending, 5)

    asyncio.run(scenario())

    first, second = bus.writer.sent  # type: ignore[attr-defined]
    assert first.timed and not second.timed
    assert first.digest() == receipt("rcpt-1")[1].digest()  # still the same request
    assert timing.stamps["received"] <= timing.stamps["command_sent"]
    assert timing.stamps["command_sent"] <= timing.stamps["reply_heard"]
    assert (timing.stamps["decider_took"], timing.stamps["reply_sent"]) == (1.0, 3.0)


def test_an_unsampled_request_sends_nothing_timed(bus: KafkaCommandBus) -> None:
    async def scenario() -> None:
        sending = asyncio.create_task(bus.send(*receipt("rcpt-1")))
        while not bus.writer.sent:  # type: ignore[attr-defined]
            await asyncio.sleep(0.005)
        (message,) = bus.writer.sent  # type: ignore[attr-defined]
        bus.resolve(Reply(command_id=message.command_id, status="accepted",
                          reply_to=message.reply_to))  # fmt: skip
        await asyncio.wait_for(sending, 5)

    asyncio.run(scenario())

    assert not bus.writer.sent[0].timed  # type: ignore[attr-defined]


def _app(every: int) -> Starlette:
    async def write(request: Request) -> JSONResponse:
        timing = current_timing.get()
        if timing is not None:  # what the bus and the decider would have stamped
            start = timing.stamps["received"] - 0.010  # as if it came 10 ms ago
            timing.stamp("received", start)
            for offset, name in enumerate(
                ("command_sent", "decider_took", "events_acked", "reply_sent", "reply_heard"), 1
            ):
                timing.stamp(name, start + offset * 0.001)
        return JSONResponse({"id": "dist-1"}, status_code=201)

    async def read(request: Request) -> JSONResponse:
        return JSONResponse({})

    routes = [Route("/v1/distributions", write, methods=["POST"]), Route("/v1/items", read)]
    app = Starlette(routes=routes)
    app.add_middleware(CommandTimings, every=every)
    return app


def _call(app: Starlette, method: str, path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://aid") as client:
            return await client.request(method, path)

    return asyncio.run(call())


def test_a_sampled_write_answers_with_the_milliseconds_of_each_stage() -> None:
    response = _call(_app(every=1), "POST", "/v1/distributions")

    stages = parse(response.headers["server-timing"])
    assert list(stages) == [name for name, _, _ in STAGES]
    assert stages["to_command"] == pytest.approx(1.0, abs=0.02)
    assert stages["decide"] == pytest.approx(1.0, abs=0.02)
    assert stages["total"] >= 10.0 and stages["answer"] >= 4.9


def test_reads_and_unsampled_writes_carry_no_timing() -> None:
    assert "server-timing" not in _call(_app(every=1), "GET", "/v1/items").headers
    assert "server-timing" not in _call(_app(every=0), "POST", "/v1/distributions").headers
    sampled = _app(every=2)
    first, second = (_call(sampled, "POST", "/v1/distributions") for _ in range(2))
    assert "server-timing" in first.headers and "server-timing" not in second.headers
