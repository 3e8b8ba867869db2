"""Stories of the requisition policies: Amizmiz asks Marrakech for Ramadan baskets.

Pure first: given an approval (in its envelope), the dispatch the warehouse is asked for;
given the warehouse's answer, what the requisition records; given the transfer's events,
the dispatch and receipt recorded by item. Then the same functions run in-process by the
worker's reactions, with the real deciders, and react again as after a crash.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from events import Actor, Envelope, Event, decode, encode
from events.requisitions import RequisitionApproved, RequisitionLine, RequisitionRaised
from events.serialization import event_id_for, wrap
from events.stock import TransferDispatched, TransferLine, TransferReceived
from services.app.policies import REACTIONS
from services.domain.commands import Reply
from services.domain.policies.requisitions import (
    dispatch_stock,
    record_dispatch,
    record_receipt,
    record_refusal,
)
from services.domain.requisitions.commands import (
    ApproveRequisition,
    RaiseRequisition,
    RecordRequisitionDispatch,
    RecordRequisitionDispatchRefused,
    RecordRequisitionReceipt,
)
from services.domain.requisitions.decider import transfer_id_for
from services.domain.stock.commands import DispatchTransfer, ReceiveTransfer
from tests.support.fakes import InMemoryPublisher, InProcessCommandBus
from tests.support.requisitions import AMIZMIZ, BASKETS, FLOUR, MARRAKECH, OPERATOR, stock_marrakech

REQ = "req-amizmiz-01"
TRANSFER = transfer_id_for(REQ, 1)
APPROVED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
COORDINATOR = Actor(user_id="fatima.coordinator", role="coordinator")
LOTS = [
    TransferLine(item_id=BASKETS, lot="ATL-2026-A", expires_on=date(2026, 12, 31), quantity=80),
    TransferLine(item_id=BASKETS, lot="CRM-2026-A", quantity=40),
    TransferLine(item_id=FLOUR, lot="FL-2026-03", quantity=50),
]


def enveloped(event: Event, causation_id: str = "ApproveRequisition:req-amizmiz-01") -> Envelope:
    return wrap(
        event,
        event_id=event_id_for(causation_id, 0),
        occurred_at=APPROVED_AT,
        recorded_at=APPROVED_AT,
        actor=COORDINATOR,
        correlation_id="corr-req-01",
        causation_id=causation_id,
    )


APPROVAL = RequisitionApproved(
    requisition_id=REQ,
    transfer_id=TRANSFER,
    supplying_location_id=MARRAKECH,
    requesting_location_id=AMIZMIZ,
    lines=[
        RequisitionLine(item_id=BASKETS, quantity=120),
        RequisitionLine(item_id=FLOUR, quantity=50),
    ],
)


def answer(status: str = "accepted", error: str | None = None, **details: object) -> Reply:
    return Reply(
        command_id="DispatchTransfer:x",
        status=status,  # type: ignore[arg-type]
        error=error,
        message="only 90 of 'ramadan-basket' available, 120 requested" if error else None,
        details=details,
    )


def test_an_approval_asks_the_supplier_for_the_approved_lines_as_its_transfer() -> None:
    command, wire = dispatch_stock(APPROVAL, enveloped(APPROVAL))

    assert isinstance(command, DispatchTransfer)
    assert (command.transfer_id, command.from_location_id, command.to_location_id) == (
        TRANSFER,
        MARRAKECH,
        AMIZMIZ,
    )
    assert command.requisition_id == REQ
    assert [(ln.item_id, ln.quantity) for ln in command.lines] == [(BASKETS, 120), (FLOUR, 50)]
    assert wire.command_id == f"DispatchTransfer:{TRANSFER}"
    assert wire.actor == COORDINATOR


def test_reacting_again_to_the_approval_asks_the_same_command() -> None:
    first = dispatch_stock(APPROVAL, enveloped(APPROVAL))[1]
    again = dispatch_stock(APPROVAL, enveloped(APPROVAL))[1]

    assert (first.command_id, first.digest()) == (again.command_id, again.digest())


def test_stock_that_left_is_recorded_by_its_transfer_not_by_the_approval() -> None:
    assert record_refusal(APPROVAL, enveloped(APPROVAL), answer()) is None
    assert (
        record_refusal(APPROVAL, enveloped(APPROVAL), answer("refused", "already_dispatched"))
        is None
    )


def test_a_refused_dispatch_is_recorded_with_what_was_available() -> None:
    refused = answer(
        "refused", "insufficient_stock", item_id=BASKETS, requested=120, available=90, lot=None
    )

    recorded = record_refusal(APPROVAL, enveloped(APPROVAL), refused)

    assert recorded is not None
    command, wire = recorded
    assert isinstance(command, RecordRequisitionDispatchRefused)
    assert (command.error, command.item_id, command.requested, command.available) == (
        "insufficient_stock",
        BASKETS,
        120,
        90,
    )
    assert wire.command_id == f"RecordRequisitionDispatchRefused:{TRANSFER}"


def test_the_transfers_lots_are_recorded_on_the_requisition_by_item() -> None:
    dispatched = TransferDispatched(
        transfer_id=TRANSFER,
        from_location_id=MARRAKECH,
        to_location_id=AMIZMIZ,
        lines=LOTS,
        requisition_id=REQ,
    )
    received = TransferReceived(
        transfer_id=TRANSFER,
        from_location_id=MARRAKECH,
        to_location_id=AMIZMIZ,
        lines=LOTS[:2],
        requisition_id=REQ,
    )

    sent = record_dispatch(dispatched, enveloped(dispatched))
    got = record_receipt(received, enveloped(received))

    assert sent is not None and got is not None
    assert isinstance(sent[0], RecordRequisitionDispatch)
    assert [(ln.item_id, ln.quantity) for ln in sent[0].lines] == [(BASKETS, 120), (FLOUR, 50)]
    assert isinstance(got[0], RecordRequisitionReceipt)
    assert [(ln.item_id, ln.quantity) for ln in got[0].lines] == [(BASKETS, 120)]


def test_a_transfer_of_no_requisition_asks_nothing() -> None:
    plain = TransferDispatched(
        transfer_id="tr-001", from_location_id=MARRAKECH, to_location_id=AMIZMIZ, lines=LOTS
    )

    assert record_dispatch(plain, enveloped(plain)) is None


# In-process: the worker's reactions with the real deciders.


def requisition_approved(baskets_in_stock: int) -> tuple[InMemoryPublisher, InProcessCommandBus]:
    publisher = InMemoryPublisher()
    bus = InProcessCommandBus(publisher)
    stock_marrakech(bus, baskets_in_stock, APPROVED_AT)
    raised = RaiseRequisition(
        requisition_id=REQ,
        requesting_location_id=AMIZMIZ,
        supplying_location_id=MARRAKECH,
        lines=[
            RequisitionLine(item_id=BASKETS, quantity=150),
            RequisitionLine(item_id=FLOUR, quantity=50),
        ],
        needed_by=date(2026, 3, 10),
    )
    assert bus.decide(raised, REQ, OPERATOR, APPROVED_AT).status == "accepted"
    approval = ApproveRequisition.model_validate(
        {"requisition_id": REQ, "lines": [{"item_id": BASKETS, "quantity": 120}]}
    )
    assert bus.decide(approval, REQ, COORDINATOR, APPROVED_AT).status == "accepted"
    return publisher, bus


def test_an_approved_requisition_leaves_as_one_transfer_even_when_reacted_to_again() -> None:
    publisher, bus = requisition_approved(baskets_in_stock=200)
    approval = publisher.envelopes("requisitions")[1]
    _, event = decode(encode(approval))

    asyncio.run(REACTIONS["requisitions"][RequisitionApproved](bus, approval, event))

    assert publisher.types("stock").count("TransferDispatched") == 1
    assert publisher.types("requisitions") == [
        RequisitionRaised.TYPE,
        RequisitionApproved.TYPE,
        "RequisitionDispatchRecorded",
    ]
    state = bus.stores["requisition-commands"].state(REQ)
    assert [(ln.approved, ln.dispatched) for ln in state.lines] == [(120, 120), (50, 50)]


def test_the_receipt_at_the_site_closes_the_requisition_when_all_arrived() -> None:
    publisher, bus = requisition_approved(baskets_in_stock=200)
    dispatched = publisher.envelopes("stock")[-1].data
    arrival = ReceiveTransfer(
        transfer_id=TRANSFER,
        from_location_id=MARRAKECH,
        to_location_id=AMIZMIZ,
        dispatched=[TransferLine.model_validate(ln) for ln in dispatched["lines"]],
        received={BASKETS: 120, FLOUR: 50},
        requisition_id=REQ,
    )

    assert bus.decide(arrival, TRANSFER, OPERATOR, APPROVED_AT).status == "accepted"

    assert publisher.types("requisitions")[-2:] == [
        "RequisitionReceiptRecorded",
        "RequisitionClosed",
    ]
    assert bus.stores["requisition-commands"].state(REQ).status == "closed"


def test_a_warehouse_short_of_baskets_refuses_and_the_requisition_says_how_many_there_were() -> (
    None
):
    publisher, bus = requisition_approved(baskets_in_stock=90)

    assert "TransferDispatched" not in publisher.types("stock")
    refused = publisher.envelopes("requisitions")[-1]
    assert refused.type == "RequisitionDispatchRefused"
    assert (refused.data["item_id"], refused.data["available"], refused.data["requested"]) == (
        BASKETS,
        90,
        120,
    )
    assert bus.stores["requisition-commands"].state(REQ).status == "dispatch_refused"
