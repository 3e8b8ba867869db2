"""Ids are not one global namespace: a client id is scoped by the aggregate it is decided
for, a convoy's transfer id cannot be borrowed by an operator's transfer, and a retry still
gets its recorded answer after the writer folds its log again."""

from __future__ import annotations

from datetime import UTC, datetime

import events
from events import Actor, Envelope
from events.relief import DeploymentDispatchStarted, PlannedLine
from events.serialization import event_id_for, wrap
from services.domain.commands import Command, CommandEnvelope, RefusalRecord, Reply
from services.domain.deciding import AggregateStore
from services.domain.deployments.decider import AbortDispatch, MarkDispatched
from services.domain.policies.convoys import DISPATCH, record_dispatch, take_stock
from services.domain.stock.commands import ReceiveStock
from services.domain.stock.decider import StockDecider
from services.domain.stock.state import LocationStock
from services.runtime.publisher import Position
from tests.support.stock_stories import (
    AL_HAOUZ,
    BASKETS,
    CASABLANCA,
    MARRAKECH,
    RAMADAN_MORNING,
    STOREKEEPER,
    dispatch,
    line,
)

CONVOY = "dep-al-haouz-01"
COORDINATOR = Actor(user_id="fatima.coordinator", role="coordinator")


def receipt(location: str, quantity: int, receipt_id: str = "rcpt-001") -> ReceiveStock:
    return ReceiveStock(
        receipt_id=receipt_id, location_id=location, item_id=BASKETS, quantity=quantity, lot="L1"
    )


def sent(command: Command, client_id: str) -> CommandEnvelope:
    return CommandEnvelope.of(command, client_id, STOREKEEPER, RAMADAN_MORNING)


def written(store: AggregateStore[LocationStock], command: CommandEnvelope) -> list[Envelope]:
    """Decide and fold back through the bytes, as the worker does."""
    decided = store.take(command)
    assert decided.reply is None, decided.reply
    store.fold(decided)
    return [envelope for envelope, _ in decided.events]


def replayed_log(
    envelopes: list[Envelope], key_of: dict[str, str]
) -> AggregateStore[LocationStock]:
    """A fresh writer that folds the log back, each record under its key."""
    store: AggregateStore[LocationStock] = AggregateStore(StockDecider())
    for offset, envelope in enumerate(envelopes):
        parsed, event = events.decode(events.encode(envelope))
        position = Position("stock", 0, offset)
        store.apply(parsed, event, position, key_of[str(envelope.event_id)])
    return store


def test_one_client_id_at_two_locations_is_two_receipts_with_their_own_events() -> None:
    store: AggregateStore[LocationStock] = AggregateStore(StockDecider())

    at_marrakech = written(store, sent(receipt(MARRAKECH, 40), "rcpt-001"))
    at_casablanca = written(store, sent(receipt(CASABLANCA, 25), "rcpt-001"))

    assert store.state(MARRAKECH).on_hand(BASKETS) == 40
    assert store.state(CASABLANCA).on_hand(BASKETS) == 25
    ids = {e.event_id for e in at_marrakech} | {e.event_id for e in at_casablanca}
    assert len(ids) == 2  # neither can hide the other in a read model's dedupe


def test_writers_of_two_partitions_give_the_same_id_at_two_locations_two_event_ids() -> None:
    one: AggregateStore[LocationStock] = AggregateStore(StockDecider())
    other: AggregateStore[LocationStock] = AggregateStore(StockDecider())

    [first] = written(one, sent(receipt(MARRAKECH, 40), "rcpt-001"))
    [second] = written(other, sent(receipt(CASABLANCA, 40), "rcpt-001"))

    assert first.event_id != second.event_id
    assert first.event_id == event_id_for("ReceiveStock:rcpt-001", 0, scope=MARRAKECH)


def test_a_retry_at_the_same_location_is_still_one_receipt_and_another_body_a_conflict() -> None:
    store: AggregateStore[LocationStock] = AggregateStore(StockDecider())
    first = written(store, sent(receipt(MARRAKECH, 40), "rcpt-001"))

    again = store.take(sent(receipt(MARRAKECH, 40), "rcpt-001")).reply
    other = store.take(sent(receipt(MARRAKECH, 41), "rcpt-001")).reply

    assert again is not None and (again.status, again.replayed) == ("accepted", True)
    assert [e["event_id"] for e in again.events] == [str(e.event_id) for e in first]
    assert other is not None and (other.status, other.error) == ("refused", "idempotency_conflict")
    assert store.state(MARRAKECH).on_hand(BASKETS) == 40


def test_a_retry_after_the_writer_folds_its_log_again_is_answered_from_the_log() -> None:
    store: AggregateStore[LocationStock] = AggregateStore(StockDecider())
    log = written(store, sent(receipt(MARRAKECH, 40), "rcpt-001"))
    log += written(store, sent(dispatch(line(10), transfer_id="tr-9"), "tr-9"))
    keys = {str(e.event_id): MARRAKECH for e in log}

    restarted = replayed_log(log, keys)
    reply = restarted.take(sent(dispatch(line(10), transfer_id="tr-9"), "tr-9")).reply

    assert reply is not None and (reply.status, reply.replayed) == ("accepted", True)
    assert restarted.state(MARRAKECH).on_hand(BASKETS) == 30


def test_a_refusal_recorded_before_scoping_still_answers_its_retry() -> None:
    store: AggregateStore[LocationStock] = AggregateStore(StockDecider())
    command = sent(dispatch(line(10), transfer_id="tr-9"), "tr-9")
    old = Reply(command_id=command.command_id, status="refused", error="insufficient_stock")
    store.apply_refusal(RefusalRecord(digest=command.digest(), reply=old))
    written(store, sent(receipt(MARRAKECH, 40), "rcpt-001"))

    reply = store.take(command).reply

    assert reply is not None and (reply.error, reply.replayed) == ("insufficient_stock", True)
    assert store.state(MARRAKECH).on_hand(BASKETS) == 40


def convoy_start() -> tuple[DeploymentDispatchStarted, Envelope]:
    event = DeploymentDispatchStarted(
        deployment_id=CONVOY,
        from_location_id=MARRAKECH,
        to_location_id=AL_HAOUZ,
        lines=[PlannedLine(item_id=BASKETS, quantity=30)],
    )
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    envelope = wrap(
        event,
        event_id=event_id_for(f"StartDispatch:{CONVOY}", 0),
        occurred_at=at,
        recorded_at=at,
        actor=COORDINATOR,
        correlation_id="corr-convoy",
        causation_id=f"StartDispatch:{CONVOY}",
    )
    return event, envelope


def test_a_transfer_named_after_a_convoy_never_makes_the_convoy_dispatched() -> None:
    store: AggregateStore[LocationStock] = AggregateStore(StockDecider())
    written(store, sent(receipt(MARRAKECH, 100), "rcpt-001"))
    written(store, sent(dispatch(line(5), transfer_id=CONVOY), CONVOY))  # the operator's
    event, start = convoy_start()
    step = take_stock(event, start)
    assert step is not None

    answer = store.take(step[1]).reply
    assert answer is not None
    outcome, _ = record_dispatch(event, start, answer)

    assert (answer.status, answer.error) == ("refused", "transfer_id_taken")
    assert not DISPATCH.taken(answer)
    assert isinstance(outcome, AbortDispatch) and not isinstance(outcome, MarkDispatched)
    assert store.state(MARRAKECH).on_hand(BASKETS) == 95  # only the operator's 5 left


def test_an_operators_transfer_cannot_take_a_convoys_transfer_id() -> None:
    store: AggregateStore[LocationStock] = AggregateStore(StockDecider())
    written(store, sent(receipt(MARRAKECH, 100), "rcpt-001"))
    event, start = convoy_start()
    step = take_stock(event, start)
    assert step is not None
    written(store, step[1])

    again = store.take(step[1]).reply
    borrowed = store.take(sent(dispatch(line(5), transfer_id=CONVOY), CONVOY)).reply

    assert again is not None and (again.status, again.replayed) == ("accepted", True)
    assert borrowed is not None and borrowed.error == "transfer_id_taken"
    assert store.state(MARRAKECH).on_hand(BASKETS) == 70
