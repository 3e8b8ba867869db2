"""A fault in a decider (a bug, not a refusal) fails the one command it met: answered
`failed` (503 `not_decided` at the API), set aside in the dead-letter topic, nothing written
or remembered, so the same command is decided once the decider is mended; the writer goes on
with the commands after it.

The story: Marrakech's storekeeper records receipts; a bug in the receipt rule faults on the
lot `RB-BUG`, and its exception quotes a value of the command.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.app.errors import NotDecided
from services.domain.commands import Caused, Command, CommandEnvelope, Reply, Sender
from services.domain.deciding import AggregateStore
from services.domain.stock.commands import (
    ConsumeForDistribution,
    ConsumeForDistributions,
    ReceiveStock,
)
from services.domain.stock.decider import StockDecider
from services.domain.stock.state import LocationStock
from services.runtime.policies import Submitted
from tests.support.api import ApiHarness
from tests.support.stock_stories import BASKETS, MARRAKECH, RAMADAN_MORNING, STOREKEEPER
from tests.unit import test_decider_pipeline as pipeline

SECRET = "Fatima Zahra, CIN BK123456"  # what a faulting rule's message might quote


class FaultyStock(StockDecider):
    """The stock writer with a bug: a receipt of lot RB-BUG, and any batch, fault while
    `broken`."""

    broken = True

    def decide(self, state: LocationStock, command: Command, now: datetime) -> Any:  # type: ignore[override]
        if self.broken and isinstance(command, ReceiveStock) and command.lot == "RB-BUG":
            raise KeyError(SECRET)
        return StockDecider.decide(state, command, now)

    def decide_batch(self, state_of: Any, commands: Any, now: datetime, ended: Any = None) -> Any:  # type: ignore[override]
        if self.broken:
            raise ZeroDivisionError(SECRET)
        return StockDecider.decide_batch(state_of, commands, now, ended)


def receipt(lot: str, quantity: int = 10) -> CommandEnvelope:
    command = ReceiveStock(
        receipt_id=f"rcpt-{lot}".lower(), location_id=MARRAKECH, item_id=BASKETS,
        quantity=quantity, lot=lot,
    )  # fmt: skip
    return CommandEnvelope.of(command, lot.lower(), STOREKEEPER, RAMADAN_MORNING)


def test_a_fault_fails_its_command_only_and_is_decided_anew_once_mended() -> None:
    decider = FaultyStock()
    store: AggregateStore[LocationStock] = AggregateStore(decider)

    faulted = store.take(receipt("RB-BUG"))
    again = store.take(receipt("RB-BUG"))
    other = store.take(receipt("RB-1"))
    decider.broken = False
    mended = store.take(receipt("RB-BUG"))

    assert faulted.reply is not None and faulted.refusal is None  # nothing to write
    assert (faulted.reply.status, faulted.reply.error) == ("failed", "not_decided")
    fault = faulted.reply.details["fault"]
    assert fault.startswith("KeyError in decide (") and "test_decider_faults.py:" in fault
    assert "BK123456" not in faulted.reply.model_dump_json()
    assert again.reply is not None and not again.reply.replayed  # not remembered: tried again
    assert [type(e).__name__ for _, e in other.events] == ["StockReceived"]
    assert mended.reply is None and [type(e).__name__ for _, e in mended.events] == [
        "StockReceived"
    ]


class UnfoldableStock(StockDecider):
    """The stock writer with a bug in its fold: a receipt of lot RB-BUG cannot be folded."""

    def evolve(self, state: LocationStock, event: Any) -> LocationStock:  # type: ignore[override]
        if getattr(event, "lot", None) == "RB-BUG":
            raise KeyError(SECRET)
        return StockDecider.evolve(state, event)


def test_an_aggregate_whose_events_cannot_be_folded_fails_its_commands_not_the_writer() -> None:
    """A bug in `evolve` met catching up on the log stops that location's writes (its state
    is unknown), not the writer: another location's receipts are decided as ever, and a
    retry of what the location recorded before still gets its answer."""
    written: AggregateStore[LocationStock] = AggregateStore(StockDecider())
    log = [d.events for d in (written.take(receipt("RB-1")), written.take(receipt("RB-BUG")))]
    told: list[tuple[str, str]] = []
    store: AggregateStore[LocationStock] = AggregateStore(
        UnfoldableStock(), on_unfolded=lambda key, fault: told.append((key, fault))
    )
    for envelope, event in [pair for events in log for pair in events]:  # as after a restart
        store.apply(envelope, event)
    casablanca = receipt("RB-2").model_copy(
        update={"data": receipt("RB-2").data | {"location_id": "wh-casablanca"}}
    )

    refused = store.take(receipt("RB-3"))
    retried = store.take(receipt("RB-1"))
    elsewhere = store.take(casablanca)

    assert refused.reply is not None and refused.events == []
    assert (refused.reply.status, refused.reply.error) == ("failed", "not_decided")
    assert refused.reply.details["fault"].startswith("KeyError in evolve (")
    assert "BK123456" not in refused.reply.model_dump_json() + repr(told)
    assert [key for key, _ in told] == [MARRAKECH]
    assert retried.reply is not None and retried.reply.replayed
    assert [type(e).__name__ for _, e in elsewhere.events] == ["StockReceived"]


def consumptions(*ids: str) -> CommandEnvelope:
    sender = Sender(actor=STOREKEEPER, issued_at=RAMADAN_MORNING, correlation_id="c-1")
    gathered = [
        Caused(
            client_id=i,
            sender=sender,
            command=ConsumeForDistribution(
                distribution_id=i,
                site_id=MARRAKECH,
                item_id=BASKETS,
                quantity=1,
                campaign_id="ramadan-2026",
                region_code="07",
            ),
        )
        for i in ids
    ]
    batch = ConsumeForDistributions(gathered=gathered)
    return CommandEnvelope.of(batch, "batch-1", STOREKEEPER, RAMADAN_MORNING)


def test_a_fault_in_a_batch_fails_each_of_its_new_commands_and_records_nothing() -> None:
    store: AggregateStore[LocationStock] = AggregateStore(FaultyStock())

    decision = store.take(consumptions("dist-1", "dist-2"))
    reply = store.answer(decision, None)

    items = reply.details["replies"]
    assert [(i["status"], i["error"]) for i in items] == [("failed", "not_decided")] * 2
    assert decision.events == [] and decision.states == {}
    assert "BK123456" not in reply.model_dump_json()


def test_the_writer_parks_the_faulted_command_and_decides_the_rest_of_its_batch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = pipeline.Broker([])
    log = pipeline.BrokerLog(broker)
    log.store = AggregateStore(FaultyStock())
    batch = pipeline.messages(receipt("RB-1"), receipt("RB-BUG"), receipt("RB-2"))

    with caplog.at_level(logging.INFO):
        journal = _run(broker, log, [batch])

    replies = [e[1:] for e in journal if e[0] == "reply"]
    assert replies == [
        ("ReceiveStock:rb-1", "accepted"),
        ("ReceiveStock:rb-bug", "failed"),
        ("ReceiveStock:rb-2", "accepted"),
    ]
    assert journal.count(("dlq",)) == 1
    assert [e[1] for e in journal if e[0] == "write"] == ["StockReceived", "StockReceived"]
    assert [e[1] for e in journal if e[0] == "ack"] == [0, 1, 2]
    assert "the decider failed on it: KeyError in decide" in caplog.text
    assert "BK123456" not in caplog.text


def _run(broker: Any, log: Any, batches: list[Any]) -> list[tuple[Any, ...]]:
    journal = broker.journal

    async def taken() -> Any:
        for batch in batches:
            yield batch

    async def ack(event: Any) -> None:
        journal.append(("ack", event.message.offset))

    runner = pipeline.DeciderRunner(pipeline.SETTINGS, log, broker, 1)
    asyncio.run(runner.run(taken(), ack))
    return journal  # type: ignore[no-any-return]


class _Bus:
    def __init__(self, reply: Reply) -> None:
        self.reply = reply

    async def send(self, command: Command, envelope: CommandEnvelope) -> Reply:
        return self.reply


def test_a_policy_stops_at_a_command_its_writer_faulted_on_rather_than_taking_it_as_refused() -> (
    None
):
    failed = Reply(command_id="ReceiveStock:rb-bug", status="failed", error="not_decided")
    refused = Reply(command_id="ReceiveStock:rb-2", status="refused", error="insufficient_stock")
    envelope = receipt("RB-BUG")
    command = ReceiveStock.model_validate(envelope.data)

    with pytest.raises(NotDecided):
        asyncio.run(Submitted(_Bus(failed)).send(command, envelope))  # type: ignore[arg-type]
    assert asyncio.run(Submitted(_Bus(refused)).send(command, envelope)) == refused  # type: ignore[arg-type]


def test_the_api_answers_503_not_decided_and_a_retry_once_mended_is_recorded(
    tmp_path: Path,
) -> None:
    body = {"id": "rcpt-bug", "location_id": "wh-marrakech", "item_id": "ramadan-basket",
            "quantity": 10, "lot": "RB-BUG"}  # fmt: skip
    with ApiHarness(tmp_path) as api:
        decider = FaultyStock()
        api.bus.stores[ReceiveStock.STREAM].decider = decider

        faulted = api.post("admin", "/v1/stock/receipts", body)
        decider.broken = False
        mended = api.post("admin", "/v1/stock/receipts", body)

    assert faulted.status_code == 503, faulted.text
    assert faulted.headers["Retry-After"] == "60"
    assert faulted.json()["error"] == "not_decided"
    assert "KeyError" not in faulted.text and "BK123456" not in faulted.text
    assert mended.status_code == 201, mended.text
    assert mended.json()["id"] == "rcpt-bug" and len(api.published("stock")) == 1
