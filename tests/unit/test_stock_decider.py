"""Stories of a warehouse's stock: what the decider accepts, what it refuses, and why."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

import events
from events import Envelope
from events.stock import (
    AdjustmentReason,
    StockAdjusted,
    StockCounted,
    StockReceived,
    TransferDiscrepancyRecorded,
    TransferDispatched,
    TransferLine,
    TransferReceived,
)
from services.domain.commands import Command, CommandEnvelope, Reply, lookup_on
from services.domain.deciding import AggregateStore
from services.domain.decisions import Rejected
from services.domain.stock.commands import ReceiveStock
from services.domain.stock.decider import StockDecider, decide
from services.domain.stock.state import LocationStock
from services.runtime.publisher import Position
from tests.support.stock_stories import (
    AL_HAOUZ,
    BASKETS,
    CASABLANCA,
    DECEMBER_2026,
    FLOUR,
    JANUARY_2027,
    LAST_FEBRUARY,
    MARRAKECH,
    RAMADAN_MORNING,
    STOREKEEPER,
    adjust,
    count,
    dispatch,
    given,
    line,
    receive_transfer,
    received,
    sent,
)

REMOVALS: list[AdjustmentReason] = ["damaged", "expired", "lost", "stolen"]


def shipped(*lines: TransferLine, to: str = AL_HAOUZ) -> TransferDispatched:
    return TransferDispatched(
        transfer_id="tr-001", from_location_id=MARRAKECH, to_location_id=to, lines=list(lines)
    )


def adjusted(
    quantity: int,
    lot: str,
    reason: AdjustmentReason,
    *,
    expires_on: date | None = None,
    donation_id: str | None = None,
) -> StockAdjusted:
    return StockAdjusted(
        adjustment_id="adj-001",
        location_id=MARRAKECH,
        item_id=BASKETS,
        lot=lot,
        quantity=quantity,
        reason=reason,
        expires_on=expires_on,
        donation_id=donation_id,
    )


def three_lots_of_baskets() -> list[StockReceived]:
    """Received in an order that is not the FEFO order."""
    return [
        received(100, "RB-JAN", expires_on=JANUARY_2027),
        received(100, "RB-NODATE"),
        received(100, "RB-DEC", expires_on=DECEMBER_2026),
    ]


# --- Receipts ------------------------------------------------------------------------------


def test_a_donated_receipt_becomes_a_lot_carrying_its_donation_and_expiry() -> None:
    command = ReceiveStock(
        receipt_id="rcpt-001",
        location_id=MARRAKECH,
        item_id=BASKETS,
        quantity=120,
        lot="RB-DEC",
        expires_on=DECEMBER_2026,
        donation_id="don-ocp-2026",
        occurred_at=RAMADAN_MORNING,
    )

    after = (
        given()
        .when(command)
        .then(
            StockReceived(
                receipt_id="rcpt-001",
                location_id=MARRAKECH,
                item_id=BASKETS,
                quantity=120,
                lot="RB-DEC",
                expires_on=DECEMBER_2026,
                donation_id="don-ocp-2026",
            )
        )
    )

    lot = after.lot(BASKETS, "RB-DEC")
    assert lot is not None
    assert (lot.on_hand, lot.expires_on, lot.donation_id) == (120, DECEMBER_2026, "don-ocp-2026")


# --- Dispatching a transfer ------------------------------------------------------------------


def test_dispatching_more_baskets_than_marrakech_holds_is_refused_with_what_is_available() -> None:
    given(received(120)).when(dispatch(line(150))).then_refused(
        "insufficient_stock", item_id=BASKETS, requested=150, available=120
    )


def test_dispatching_an_item_never_received_is_refused_with_nothing_available() -> None:
    given(received(120)).when(dispatch(line(5, FLOUR))).then_refused(
        "insufficient_stock", item_id=FLOUR, available=0
    )


def test_dispatching_exactly_what_is_held_empties_the_lots() -> None:
    story = given(received(70, "RB-DEC", expires_on=DECEMBER_2026), received(50, "RB-NODATE"))

    after = story.when(dispatch(line(120))).then(
        shipped(sent(70, "RB-DEC", expires_on=DECEMBER_2026), sent(50, "RB-NODATE"))
    )

    assert after.on_hand(BASKETS) == 0
    assert after.lots_of(BASKETS) == []
    assert all(lot.on_hand == 0 for lot in after.lots.values())


def test_fefo_takes_december_then_january_then_the_undated_lot() -> None:
    after = (
        given(*three_lots_of_baskets())
        .when(dispatch(line(250)))
        .then(
            shipped(
                sent(100, "RB-DEC", expires_on=DECEMBER_2026),
                sent(100, "RB-JAN", expires_on=JANUARY_2027),
                sent(50, "RB-NODATE"),
            )
        )
    )

    assert [(lot.lot, lot.on_hand) for lot in after.lots_of(BASKETS)] == [("RB-NODATE", 50)]


def test_a_small_dispatch_comes_entirely_from_the_lot_expiring_first() -> None:
    given(*three_lots_of_baskets()).when(dispatch(line(30))).then(
        shipped(sent(30, "RB-DEC", expires_on=DECEMBER_2026))
    )


def test_dispatched_lines_keep_the_donation_so_the_gift_can_be_traced() -> None:
    story = given(received(40, "RB-DON", expires_on=DECEMBER_2026, donation_id="don-ocp-2026"))

    decision = story.when(dispatch(line(10)))

    [event] = decision.events
    assert isinstance(event, TransferDispatched)
    assert event.lines[0].donation_id == "don-ocp-2026"


def test_fefo_skips_expired_lots() -> None:
    story = given(
        received(80, "RB-FEB", expires_on=LAST_FEBRUARY),
        received(50, "RB-DEC", expires_on=DECEMBER_2026),
    )

    story.when(dispatch(line(50))).then(shipped(sent(50, "RB-DEC", expires_on=DECEMBER_2026)))


def test_expired_lots_are_not_counted_as_available() -> None:
    story = given(
        received(80, "RB-FEB", expires_on=LAST_FEBRUARY),
        received(50, "RB-DEC", expires_on=DECEMBER_2026),
    )

    story.when(dispatch(line(60))).then_refused("insufficient_stock", requested=60, available=50)


def test_a_lot_expiring_today_can_still_leave() -> None:
    today = RAMADAN_MORNING.date()

    given(received(10, "RB-TODAY", expires_on=today)).when(dispatch(line(10))).then(
        shipped(sent(10, "RB-TODAY", expires_on=today))
    )


def test_allow_expired_lets_fefo_ship_the_expired_lot_first() -> None:
    story = given(
        received(50, "RB-DEC", expires_on=DECEMBER_2026),
        received(80, "RB-FEB", expires_on=LAST_FEBRUARY),
    )

    story.when(dispatch(line(100), allow_expired=True)).then(
        shipped(
            sent(80, "RB-FEB", expires_on=LAST_FEBRUARY),
            sent(20, "RB-DEC", expires_on=DECEMBER_2026),
        )
    )


def test_naming_an_expired_lot_is_rejected_unless_allow_expired() -> None:
    story = given(received(80, "RB-FEB", expires_on=LAST_FEBRUARY))

    error = story.when(dispatch(line(10, lot="RB-FEB"))).then_rejected("expired_lot", lot="RB-FEB")

    assert error.details["field"] == "lot"
    story.when(dispatch(line(10, lot="RB-FEB"), allow_expired=True)).then(
        shipped(sent(10, "RB-FEB", expires_on=LAST_FEBRUARY))
    )


def test_naming_an_unknown_lot_is_rejected() -> None:
    given(received(120, "RB-DEC")).when(dispatch(line(10, lot="RB-NOPE"))).then_rejected(
        "unknown_lot", item_id=BASKETS, lot="RB-NOPE", field="lot"
    )


def test_a_named_lot_is_checked_alone_even_when_other_lots_could_cover() -> None:
    story = given(received(30, "RB-DEC", expires_on=DECEMBER_2026), received(500, "RB-NODATE"))

    story.when(dispatch(line(40, lot="RB-DEC"))).then_refused(
        "insufficient_stock", lot="RB-DEC", requested=40, available=30
    )


def test_a_named_lot_is_taken_even_if_another_lot_expires_first() -> None:
    story = given(*three_lots_of_baskets())

    story.when(dispatch(line(60, lot="RB-NODATE"))).then(shipped(sent(60, "RB-NODATE")))


def test_a_transfer_to_the_same_warehouse_is_rejected() -> None:
    given(received(120)).when(dispatch(line(10), to=MARRAKECH)).then_rejected(
        "same_location", field="to_location_id"
    )


def test_two_lines_for_the_same_item_are_checked_together_against_stock() -> None:
    given(received(100)).when(dispatch(line(60), line(60))).then_refused(
        "insufficient_stock", requested=120, available=100
    )


def test_two_lines_for_the_same_item_within_stock_leave_as_one_pick() -> None:
    given(received(100)).when(dispatch(line(40), line(60))).then(shipped(sent(100, "RB-1")))


def test_one_short_item_refuses_the_whole_transfer() -> None:
    story = given(received(100), received(20, "FL-1", item=FLOUR))

    decision = story.when(dispatch(line(50), line(30, FLOUR)))

    decision.then_refused("insufficient_stock", item_id=FLOUR, available=20)
    assert decision.events == []


def test_a_fefo_line_and_a_named_lot_line_for_one_item_are_checked_together() -> None:
    story = given(received(50, "RB-DEC", expires_on=DECEMBER_2026), received(50, "RB-NODATE"))

    story.when(dispatch(line(80), line(40, lot="RB-DEC"))).then_refused(
        "insufficient_stock", item_id=BASKETS
    )


# --- Receiving a transfer ------------------------------------------------------------------


def test_a_full_receipt_brings_every_lot_with_its_expiry() -> None:
    lines = [sent(200, "RB-DEC", expires_on=DECEMBER_2026), sent(100, "FL-1", item=FLOUR)]

    after = (
        given()
        .when(receive_transfer(lines, {BASKETS: 200, FLOUR: 100}))
        .then(
            TransferReceived(
                transfer_id="tr-001",
                from_location_id=MARRAKECH,
                to_location_id=AL_HAOUZ,
                lines=lines,
            )
        )
    )

    assert after.on_hand(BASKETS) == 200 and after.on_hand(FLOUR) == 100
    assert after.lot(BASKETS, "RB-DEC").expires_on == DECEMBER_2026  # type: ignore[union-attr]
    assert "tr-001" in after.received_transfers


def test_a_shortfall_is_recorded_on_the_lot_expiring_last() -> None:
    lines = [
        sent(200, "RB-JAN", expires_on=JANUARY_2027),
        sent(200, "RB-DEC", expires_on=DECEMBER_2026),
    ]
    ids = {"transfer_id": "tr-001", "from_location_id": MARRAKECH, "to_location_id": AL_HAOUZ}

    after = (
        given()
        .when(receive_transfer(lines, {BASKETS: 380}))
        .then(
            TransferReceived(
                **ids,
                lines=[
                    sent(200, "RB-DEC", expires_on=DECEMBER_2026),
                    sent(180, "RB-JAN", expires_on=JANUARY_2027),
                ],
            ),
            TransferDiscrepancyRecorded(
                **ids, item_id=BASKETS, lot="RB-JAN", expires_on=JANUARY_2027, missing=20
            ),
        )
    )

    assert after.on_hand(BASKETS) == 380


def test_an_item_that_never_arrived_is_missing_in_full() -> None:
    lines = [sent(100, "RB-DEC"), sent(50, "FL-1", item=FLOUR)]

    decision = given().when(receive_transfer(lines, {BASKETS: 100}))

    missing = [e for e in decision.events if isinstance(e, TransferDiscrepancyRecorded)]
    assert [(e.item_id, e.lot, e.missing) for e in missing] == [(FLOUR, "FL-1", 50)]


def test_receiving_a_transfer_twice_is_refused() -> None:
    lines = [sent(200, "RB-DEC")]
    arrived = TransferReceived(
        transfer_id="tr-001", from_location_id=MARRAKECH, to_location_id=AL_HAOUZ, lines=lines
    )

    given(arrived).when(receive_transfer(lines, {BASKETS: 200})).then_refused(
        "already_received", transfer_id="tr-001"
    )


def test_receiving_an_item_that_was_not_dispatched_is_rejected() -> None:
    given().when(receive_transfer([sent(200, "RB-DEC")], {FLOUR: 10})).then_rejected(
        "not_in_transfer", item_id=FLOUR, field="lines"
    )


def test_receiving_more_than_was_dispatched_is_rejected() -> None:
    lines = [sent(200, "RB-DEC"), sent(200, "RB-JAN")]

    given().when(receive_transfer(lines, {BASKETS: 401})).then_rejected(
        "more_than_dispatched", item_id=BASKETS, dispatched=400
    )


def test_a_negative_received_quantity_is_rejected() -> None:
    try:
        command = receive_transfer([sent(400, "RB-DEC")], {BASKETS: -5})
    except ValidationError:
        return
    decision = given().when(command)
    assert decision.events == [], f"accepted: {decision.events}"


# --- Adjusting stock -----------------------------------------------------------------------


@pytest.mark.parametrize("reason", REMOVALS)
def test_a_removal_takes_from_lots_fefo_one_adjustment_per_lot(reason: AdjustmentReason) -> None:
    story = given(
        received(50, "RB-JAN", expires_on=JANUARY_2027),
        received(30, "RB-DEC", expires_on=DECEMBER_2026),
    )

    after = story.when(adjust(40, reason)).then(
        adjusted(-30, "RB-DEC", reason, expires_on=DECEMBER_2026),
        adjusted(-10, "RB-JAN", reason, expires_on=JANUARY_2027),
    )

    assert after.on_hand(BASKETS) == 40


@pytest.mark.parametrize("reason", REMOVALS)
def test_removing_more_than_on_hand_is_refused(reason: AdjustmentReason) -> None:
    story = given(received(50, "RB-JAN"), received(30, "RB-DEC"))

    story.when(adjust(100, reason)).then_refused("insufficient_stock", requested=100, available=80)


def test_a_removal_from_a_named_lot_touches_only_that_lot() -> None:
    story = given(*three_lots_of_baskets())

    story.when(adjust(5, "damaged", "RB-NODATE")).then(adjusted(-5, "RB-NODATE", "damaged"))


def test_expired_baskets_can_be_written_off_from_an_expired_lot() -> None:
    story = given(
        received(80, "RB-FEB", expires_on=LAST_FEBRUARY),
        received(50, "RB-DEC", expires_on=DECEMBER_2026),
    )

    after = story.when(adjust(80, "expired")).then(
        adjusted(-80, "RB-FEB", "expired", expires_on=LAST_FEBRUARY)
    )

    assert after.on_hand(BASKETS) == 50


def test_removing_from_an_unknown_lot_is_rejected() -> None:
    given(received(50)).when(adjust(5, "lost", "RB-NOPE")).then_rejected(
        "unknown_lot", lot="RB-NOPE"
    )


def test_found_stock_without_a_lot_becomes_a_lot_named_after_the_adjustment() -> None:
    after = given(received(50)).when(adjust(12, "found")).then(adjusted(12, "adj-001", "found"))

    assert after.on_hand(BASKETS) == 62
    assert after.lot(BASKETS, "adj-001").on_hand == 12  # type: ignore[union-attr]


def test_found_stock_in_a_known_lot_keeps_its_expiry_and_donation() -> None:
    story = given(received(50, "RB-DEC", expires_on=DECEMBER_2026, donation_id="don-ocp-2026"))

    after = story.when(adjust(5, "found", "RB-DEC")).then(
        adjusted(5, "RB-DEC", "found", expires_on=DECEMBER_2026, donation_id="don-ocp-2026")
    )

    assert after.lot(BASKETS, "RB-DEC").on_hand == 55  # type: ignore[union-attr]


# --- Counting stock ------------------------------------------------------------------------


@pytest.mark.parametrize(("counted", "variance"), [(112, -8), (120, 0), (131, 11)])
def test_a_count_records_the_variance_and_becomes_the_on_hand(counted: int, variance: int) -> None:
    story = given(received(120, "RB-DEC", expires_on=DECEMBER_2026))

    after = story.when(count(counted)).then(
        StockCounted(
            count_id="cnt-001",
            location_id=MARRAKECH,
            item_id=BASKETS,
            lot="RB-DEC",
            expires_on=DECEMBER_2026,
            counted_quantity=counted,
            variance=variance,
        )
    )

    assert after.on_hand(BASKETS) == counted


def test_counting_an_item_held_in_several_lots_needs_a_lot() -> None:
    story = given(received(50, "RB-JAN", expires_on=JANUARY_2027), received(30, "RB-DEC"))

    error = story.when(count(80)).then_rejected("lot_required", field="lot")

    assert sorted(error.details["lots"]) == ["RB-DEC", "RB-JAN"]


def test_counting_one_named_lot_among_several() -> None:
    story = given(received(50, "RB-JAN", expires_on=JANUARY_2027), received(30, "RB-DEC"))

    after = story.when(count(28, "RB-DEC")).then(
        StockCounted(
            count_id="cnt-001",
            location_id=MARRAKECH,
            item_id=BASKETS,
            lot="RB-DEC",
            counted_quantity=28,
            variance=-2,
        )
    )

    assert after.on_hand(BASKETS) == 78


def test_a_count_of_zero_on_an_empty_item_records_no_variance() -> None:
    after = (
        given(received(50))
        .when(count(0, item=FLOUR))
        .then(
            StockCounted(
                count_id="cnt-001",
                location_id=MARRAKECH,
                item_id=FLOUR,
                lot="cnt-001",
                counted_quantity=0,
                variance=0,
            )
        )
    )

    assert after.on_hand(FLOUR) == 0


def test_goods_counted_where_none_were_recorded_become_a_lot_named_after_the_count() -> None:
    after = (
        given()
        .when(count(7, item=FLOUR))
        .then(
            StockCounted(
                count_id="cnt-001",
                location_id=MARRAKECH,
                item_id=FLOUR,
                lot="cnt-001",
                counted_quantity=7,
                variance=7,
            )
        )
    )

    assert after.lot(FLOUR, "cnt-001").on_hand == 7  # type: ignore[union-attr]


# --- The single writer: idempotency and determinism ------------------------------------------


def envelope(command: Command, client_id: str, at: datetime = RAMADAN_MORNING) -> CommandEnvelope:
    return CommandEnvelope.of(command, client_id, STOREKEEPER, at)


def handled(store: AggregateStore[LocationStock], command: CommandEnvelope) -> list[Envelope]:
    """Decide a command and fold its events back, as the worker does once they are in Kafka."""
    written = store.handle(command)
    assert isinstance(written, list), written
    for written_envelope in written:
        parsed, event = events.decode(events.encode(written_envelope))
        offset = sum(len(o.events) for o in store.outcomes.values())
        store.apply(parsed, event, Position("stock", 0, offset))
    return written


def receipt(
    quantity: int,
    receipt_id: str = "rcpt-001",
    lot: str = "RB-1",
    expires_on: date | None = None,
) -> ReceiveStock:
    return ReceiveStock(
        receipt_id=receipt_id,
        location_id=MARRAKECH,
        item_id=BASKETS,
        quantity=quantity,
        lot=lot,
        expires_on=expires_on,
    )


def marrakech_store() -> AggregateStore[LocationStock]:
    store: AggregateStore[LocationStock] = AggregateStore(StockDecider())
    handled(
        store, envelope(receipt(70, "rcpt-dec", lot="RB-DEC", expires_on=DECEMBER_2026), "rcpt-dec")
    )
    handled(
        store, envelope(receipt(50, "rcpt-jan", lot="RB-JAN", expires_on=JANUARY_2027), "rcpt-jan")
    )
    return store


def test_a_repeated_command_gets_its_recorded_outcome_and_writes_nothing() -> None:
    store = marrakech_store()
    command = envelope(dispatch(line(100)), "tr-001")
    first = handled(store, command)

    again = store.handle(command)

    assert isinstance(again, Reply)
    assert (again.status, again.replayed) == ("accepted", True)
    assert [e["event_id"] for e in again.events] == [str(e.event_id) for e in first]
    assert [e["data"] for e in again.events] == [e.data for e in first]
    assert again.position == "stock:0:2"
    assert store.state(MARRAKECH).on_hand(BASKETS) == 20


def test_a_retry_issued_later_is_still_the_same_command() -> None:
    store = marrakech_store()
    first = handled(store, envelope(dispatch(line(100)), "tr-001"))

    again = store.handle(
        envelope(dispatch(line(100)), "tr-001", RAMADAN_MORNING + timedelta(hours=1))
    )

    assert isinstance(again, Reply) and again.replayed
    assert [e["event_id"] for e in again.events] == [str(e.event_id) for e in first]


def test_reusing_a_receipt_id_for_a_different_quantity_is_an_idempotency_conflict() -> None:
    store = marrakech_store()

    reply = store.handle(
        envelope(receipt(71, "rcpt-dec", lot="RB-DEC", expires_on=DECEMBER_2026), "rcpt-dec")
    )

    assert isinstance(reply, Reply)
    assert (reply.status, reply.error, reply.events) == ("refused", "idempotency_conflict", [])
    assert store.state(MARRAKECH).on_hand(BASKETS) == 120


def test_an_id_refused_once_is_decided_anew_for_another_request() -> None:
    """A refusal wrote nothing: its very request gets it again, another one under the same id
    is decided on its own (a dispatch cut down to what Marrakech holds)."""
    store = marrakech_store()

    refused = store.take(envelope(dispatch(line(150)), "tr-cut"))
    again = store.take(envelope(dispatch(line(150)), "tr-cut"))
    cut = store.take(envelope(dispatch(line(100)), "tr-cut"))

    assert refused.reply is not None and refused.reply.error == "insufficient_stock"
    assert again.reply == refused.reply.model_copy(update={"replayed": True})
    assert cut.reply is None and [type(e).__name__ for _, e in cut.events] == ["TransferDispatched"]


def test_events_written_under_an_id_answer_it_whichever_log_is_folded_first() -> None:
    """Refused, then accepted under the same id: folded from the log, events before the
    refusal record or after it, the accepted request is answered with its events, and the
    refused one is a conflict."""
    refused_first = marrakech_store()
    refusal = refused_first.take(envelope(dispatch(line(150)), "tr-cut")).refusal
    accepted = refused_first.take(envelope(dispatch(line(100)), "tr-cut"))
    assert refusal is not None
    answers = []
    for fold in ("events first", "refusal first"):
        store = marrakech_store()
        if fold == "refusal first":
            store.apply_refusal(refusal)
        store.fold(accepted)
        if fold == "events first":
            store.apply_refusal(refusal)
        answers.append(
            (
                store.take(envelope(dispatch(line(100)), "tr-cut")).reply,
                store.take(envelope(dispatch(line(150)), "tr-cut")).reply,
            )
        )

    for replayed, conflict in answers:
        assert replayed is not None and (replayed.status, replayed.replayed) == ("accepted", True)
        assert [e["event_id"] for e in replayed.events] == [
            str(e.event_id) for e, _ in accepted.events
        ]
        assert conflict is not None and conflict.error == "idempotency_conflict"


def test_a_conflicting_request_never_takes_the_id_from_the_one_accepted() -> None:
    """Accepted, then the same id asked for something else (a conflict, which the writer
    records as a refusal): the first request sent again still gets its own answer."""
    store = marrakech_store()
    first = store.take(envelope(dispatch(line(100)), "tr-001"))
    store.fold(first)

    conflict = store.take(envelope(dispatch(line(10)), "tr-001"))
    retried = store.take(envelope(dispatch(line(100)), "tr-001"))

    assert conflict.refusal is not None and conflict.refusal.reply.error == "idempotency_conflict"
    assert retried.reply is not None and (retried.reply.status, retried.reply.replayed) == (
        "accepted",
        True,
    )


def test_a_refusal_is_a_reply_with_its_reason_and_nothing_to_write() -> None:
    store = marrakech_store()

    refused = store.handle(envelope(dispatch(line(150)), "tr-big"))
    rejected = store.handle(envelope(dispatch(line(5), to=MARRAKECH), "tr-self"))

    assert isinstance(refused, Reply) and isinstance(rejected, Reply)
    assert (refused.status, refused.error) == ("refused", "insufficient_stock")
    assert (refused.details["requested"], refused.details["available"]) == (150, 120)
    assert (rejected.status, rejected.error) == ("rejected", "same_location")
    assert (MARRAKECH, "DispatchTransfer:tr-big") not in store.outcomes


def test_the_same_command_on_the_same_history_gives_byte_identical_envelopes() -> None:
    command = envelope(dispatch(line(100), to=CASABLANCA), "tr-001")

    first = marrakech_store().handle(command)
    second = marrakech_store().handle(command)

    assert isinstance(first, list) and isinstance(second, list)
    assert [events.encode(e) for e in first] == [events.encode(e) for e in second]
    assert len({e.event_id for e in first}) == len(first) == 1


def test_a_receipt_time_without_a_zone_is_rejected_not_a_crash() -> None:
    store: AggregateStore[LocationStock] = AggregateStore(StockDecider())
    command = envelope(receipt(10), "rcpt-001").model_copy(
        update={
            "data": {**receipt(10).model_dump(mode="json"), "occurred_at": "2026-03-01T08:00:00"}
        }
    )

    reply = store.handle(command)

    assert isinstance(reply, Reply) and reply.status == "rejected"


@pytest.mark.parametrize("lot", ["", "L" * 65])
def test_a_lot_code_the_events_cannot_hold_is_rejected_not_a_crash(lot: str) -> None:
    try:
        command = ReceiveStock(
            receipt_id="rcpt-001", location_id=MARRAKECH, item_id=BASKETS, quantity=1, lot=lot
        )
    except ValidationError:
        return
    assert isinstance(given().when(command).error, Rejected)


# ---- a client may not rewrite history ------------------------------------------------------


@pytest.mark.parametrize(
    ("ago", "accepted"),
    [
        (timedelta(days=7), True),
        (timedelta(days=7, minutes=1), False),
        (timedelta(days=365), False),
        (timedelta(minutes=-5), True),
        (timedelta(minutes=-6), False),
    ],
)
def test_a_receipt_is_dated_at_most_a_week_back_and_not_in_the_future(
    ago: timedelta, accepted: bool
) -> None:
    now = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    receipt = ReceiveStock(receipt_id="rcpt-late", location_id="wh-casablanca",
                           item_id="ramadan-basket", quantity=10, lot="L1",
                           occurred_at=now - ago)  # fmt: skip
    if accepted:
        assert len(decide(LocationStock(), receipt, now)) == 1
    else:
        with pytest.raises(Rejected) as refused:
            decide(LocationStock(), receipt, now)
        assert refused.value.code == "occurred_at_out_of_range"
        assert refused.value.details["field"] == "occurred_at"


def test_a_lookup_answers_what_the_writer_recorded_and_decides_nothing() -> None:
    """A receipt decided (with its events), a dispatch refused, a dispatch never sent: the
    first two answered as their retries would be, the third left out; nothing changes."""
    store = marrakech_store()
    store.take(envelope(dispatch(line(150)), "tr-short"))
    lookup = lookup_on("stock-commands")(
        aggregate=MARRAKECH,
        command_ids=["ReceiveStock:rcpt-dec", "DispatchTransfer:tr-short", "DispatchTransfer:tr-9"],
    )
    before = store.state(MARRAKECH)

    decision = store.take(envelope(lookup, "look-1"))

    assert decision.reply is not None and decision.events == [] and decision.refusal is None
    found = decision.reply.details["found"]
    assert sorted(found) == ["DispatchTransfer:tr-short", "ReceiveStock:rcpt-dec"]
    assert found["ReceiveStock:rcpt-dec"]["status"] == "accepted"
    assert [e["type"] for e in found["ReceiveStock:rcpt-dec"]["events"]] == ["StockReceived"]
    assert found["ReceiveStock:rcpt-dec"]["position"] == "stock:0:0"
    assert found["DispatchTransfer:tr-short"]["error"] == "insufficient_stock"
    assert store.state(MARRAKECH) == before
