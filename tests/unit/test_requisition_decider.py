"""Requisition stories: asked by a site, approved in part or rejected, dispatched and
received by its transfer, closed complete or short."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import reduce

import pytest

from events import Event
from events.requisitions import (
    ReceivedLine,
    RequisitionApproved,
    RequisitionClosed,
    RequisitionDispatchRecorded,
    RequisitionLine,
    RequisitionRaised,
    RequisitionReceiptRecorded,
)
from services.domain.decisions import Refused, Rejected
from services.domain.requisitions.commands import (
    ApprovedQuantity,
    ApproveRequisition,
    CloseRequisition,
    RaiseRequisition,
    RecordRequisitionDispatch,
    RecordRequisitionDispatchRefused,
    RecordRequisitionReceipt,
    RejectRequisition,
)
from services.domain.requisitions.decider import RequisitionDecider, transfer_id_for
from services.domain.requisitions.state import Requisition

DECIDER = RequisitionDecider()
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REQ = "req-al-haouz-01"
AL_HAOUZ, MARRAKECH = "site-al-haouz", "wh-marrakech"
BASKETS, FLOUR = "ramadan-basket", "flour-25kg"


def raise_it() -> RaiseRequisition:
    return RaiseRequisition(
        requisition_id=REQ,
        requesting_location_id=AL_HAOUZ,
        supplying_location_id=MARRAKECH,
        lines=[
            RequisitionLine(item_id=BASKETS, quantity=150),
            RequisitionLine(item_id=FLOUR, quantity=40),
        ],
        needed_by=date(2026, 3, 10),
    )


def given(*commands: object) -> tuple[Requisition, list[Event]]:
    """The state after deciding and folding `commands` in order, and every event."""
    state, seen = Requisition(), []
    for command in commands:
        events = DECIDER.decide(state, command, NOW)  # type: ignore[arg-type]
        state = reduce(DECIDER.evolve, events, state)
        seen += events
    return state, seen


def approve(**quantities: int) -> ApproveRequisition:
    lines = [
        ApprovedQuantity(item_id=i.replace("_", "-"), quantity=q) for i, q in quantities.items()
    ]
    return ApproveRequisition(requisition_id=REQ, lines=lines)


TRANSFER = transfer_id_for(REQ, 1)


def dispatched(baskets: int, flour: int = 40) -> RecordRequisitionDispatch:
    return RecordRequisitionDispatch(
        requisition_id=REQ,
        transfer_id=TRANSFER,
        lines=[
            RequisitionLine(item_id=BASKETS, quantity=baskets),
            RequisitionLine(item_id=FLOUR, quantity=flour),
        ],
    )


def received(baskets: int, flour: int = 40) -> RecordRequisitionReceipt:
    return RecordRequisitionReceipt(
        requisition_id=REQ,
        transfer_id=TRANSFER,
        lines=[
            ReceivedLine(item_id=BASKETS, quantity=baskets),
            ReceivedLine(item_id=FLOUR, quantity=flour),
        ],
    )


def test_a_site_raises_a_requisition_with_a_date_needed_by() -> None:
    state, events = given(raise_it())

    assert isinstance(events[0], RequisitionRaised)
    assert state.status == "raised"
    assert [(ln.item_id, ln.requested, ln.approved) for ln in state.lines] == [
        (BASKETS, 150, 0),
        (FLOUR, 40, 0),
    ]


def test_a_requisition_to_itself_or_needed_yesterday_is_rejected() -> None:
    to_itself = raise_it().model_copy(update={"supplying_location_id": AL_HAOUZ})
    yesterday = raise_it().model_copy(update={"needed_by": date(2026, 3, 1)})

    with pytest.raises(Rejected, match="another location"):
        given(to_itself)
    with pytest.raises(Rejected) as refused:
        given(yesterday)
    assert refused.value.code == "needed_by_past"


def test_a_coordinator_approves_fewer_baskets_than_requested() -> None:
    state, events = given(raise_it(), approve(ramadan_basket=120))

    approved = events[-1]
    assert isinstance(approved, RequisitionApproved)
    assert approved.transfer_id == TRANSFER
    assert (approved.supplying_location_id, approved.requesting_location_id) == (
        MARRAKECH,
        AL_HAOUZ,
    )
    assert [(ln.item_id, ln.quantity) for ln in approved.lines] == [(BASKETS, 120), (FLOUR, 40)]
    assert state.status == "approved"


def test_approving_more_than_requested_is_rejected_and_saying_what_was_asked() -> None:
    with pytest.raises(Rejected) as rejected:
        given(raise_it(), approve(ramadan_basket=151))

    assert rejected.value.code == "more_than_requested"
    assert rejected.value.details["requested"] == 150


def test_approving_nothing_at_all_is_rejected() -> None:
    with pytest.raises(Rejected, match="reject the requisition"):
        given(raise_it(), approve(ramadan_basket=0, flour_25kg=0))


def test_a_rejected_requisition_cannot_be_approved_afterwards() -> None:
    state, _ = given(raise_it(), RejectRequisition(requisition_id=REQ, reason="covered by convoy"))

    assert state.status == "rejected"
    with pytest.raises(Refused) as refused:
        given(raise_it(), RejectRequisition(requisition_id=REQ, reason="x"), approve())
    assert refused.value.code == "requisition_rejected"


def test_dispatch_and_receipt_in_full_close_the_requisition() -> None:
    state, events = given(raise_it(), approve(ramadan_basket=120), dispatched(120), received(120))

    assert [type(e) for e in events[-3:]] == [
        RequisitionDispatchRecorded,
        RequisitionReceiptRecorded,
        RequisitionClosed,
    ]
    assert events[-1] == RequisitionClosed(requisition_id=REQ, short=False)
    assert state.status == "closed"
    assert [(ln.approved, ln.dispatched, ln.received) for ln in state.lines] == [
        (120, 120, 120),
        (40, 40, 40),
    ]


def test_a_receipt_may_be_recorded_before_the_dispatch_it_follows() -> None:
    state, _ = given(raise_it(), approve(), received(150), dispatched(150))

    assert state.status == "closed"
    assert state.line(BASKETS) is not None
    assert state.line(BASKETS).dispatched == 150  # type: ignore[union-attr]


def test_over_dispatch_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        given(raise_it(), approve(ramadan_basket=120), dispatched(121))

    assert refused.value.code == "more_than_approved"
    assert refused.value.details == {"item_id": BASKETS, "approved": 120}


def test_a_dispatch_is_recorded_once() -> None:
    with pytest.raises(Refused) as refused:
        given(raise_it(), approve(), dispatched(150), dispatched(150))

    assert refused.value.code == "already_recorded"


def test_received_short_stays_open_until_a_coordinator_closes_it_short() -> None:
    short, _ = given(raise_it(), approve(), dispatched(150), received(140))
    closed, events = given(
        raise_it(),
        approve(),
        dispatched(150),
        received(140),
        CloseRequisition(requisition_id=REQ, reason="10 baskets lost on the road"),
    )

    assert short.status == "received"
    assert closed.status == "closed"
    assert events[-1] == RequisitionClosed(
        requisition_id=REQ, short=True, reason="10 baskets lost on the road"
    )


def test_a_refused_dispatch_is_recorded_with_what_was_available_and_approved_again() -> None:
    refusal = RecordRequisitionDispatchRefused(
        requisition_id=REQ,
        transfer_id=TRANSFER,
        error="insufficient_stock",
        message="only 90 of 'ramadan-basket' available, 150 requested",
        item_id=BASKETS,
        requested=150,
        available=90,
    )
    refused, _ = given(raise_it(), approve(), refusal)
    again, events = given(raise_it(), approve(), refusal, approve(ramadan_basket=90))

    assert refused.status == "dispatch_refused"
    assert refused.refusal is not None and refused.refusal.available == 90
    assert again.status == "approved"
    assert isinstance(events[-1], RequisitionApproved)
    assert events[-1].transfer_id == transfer_id_for(REQ, 2) != TRANSFER


def test_a_step_of_a_transfer_from_an_earlier_approval_is_refused() -> None:
    old = RecordRequisitionDispatchRefused(
        requisition_id=REQ, transfer_id=TRANSFER, error="insufficient_stock", message="short"
    )
    with pytest.raises(Refused) as refused:
        given(raise_it(), approve(), old, approve(ramadan_basket=90), dispatched(90))

    assert refused.value.code == "not_its_transfer"


def test_closing_short_before_approval_is_refused() -> None:
    with pytest.raises(Refused) as refused:
        given(raise_it(), CloseRequisition(requisition_id=REQ, reason="not needed"))

    assert refused.value.code == "requisition_raised"
