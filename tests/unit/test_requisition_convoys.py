"""Stories of a requisition carried by a convoy: Amizmiz asks Marrakech for Ramadan baskets,
the coordinator approves them by convoy within the Al Haouz earthquake operation.

Pure first: the approval by convoy decided, the convoy's plan it asks for, the convoy's
start passing the requisition on. Then the worker's reactions in-process with the real
deciders: the convoy planned once however often the approval is reacted to; its dispatch
and delivery recorded on the requisition per line; a short delivery closed short; a refused
dispatch leaving the requisition approved, naming its convoy.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from functools import reduce

from events import Actor, Envelope, Event, decode, encode
from events.relief import ArrivedLine, DeploymentPlanned, PlannedLine
from events.requisitions import RequisitionApproved, RequisitionLine
from events.serialization import event_id_for, wrap
from events.stock import TransferLine
from services.app.policies import REACTIONS
from services.domain.commands import Reply
from services.domain.deployments.decider import (
    Deployment,
    DeploymentDecider,
    PlanDeployment,
    StartDelivery,
    StartDispatch,
)
from services.domain.policies.convoys import receive_stock, take_stock
from services.domain.policies.requisitions import carry
from services.domain.requisitions.commands import (
    ApproveRequisition,
    CloseRequisition,
    RaiseRequisition,
)
from services.domain.requisitions.decider import RequisitionDecider, transfer_id_for
from services.domain.requisitions.state import Requisition
from services.domain.stock.commands import DispatchTransfer, ReceiveTransfer
from tests.support.fakes import InMemoryPublisher, InProcessCommandBus
from tests.support.requisitions import AMIZMIZ, BASKETS, FLOUR, MARRAKECH, OPERATOR, stock_marrakech

REQ = "req-amizmiz-01"
OPERATION = "op-al-haouz-2026"
CONVOY = transfer_id_for(REQ, 1)
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
COORDINATOR = Actor(user_id="fatima.coordinator", role="coordinator")

APPROVAL = RequisitionApproved(
    requisition_id=REQ,
    transfer_id=CONVOY,
    supplying_location_id=MARRAKECH,
    requesting_location_id=AMIZMIZ,
    lines=[
        RequisitionLine(item_id=BASKETS, quantity=120),
        RequisitionLine(item_id=FLOUR, quantity=50),
    ],
    operation_id=OPERATION,
)


def enveloped(event: Event) -> Envelope:
    return wrap(
        event,
        event_id=event_id_for(f"cause:{event.TYPE}", 0),
        occurred_at=AT,
        recorded_at=AT,
        actor=COORDINATOR,
        correlation_id="corr-req-01",
        causation_id=f"cause:{event.TYPE}",
    )


def raised() -> RaiseRequisition:
    return RaiseRequisition(
        requisition_id=REQ,
        requesting_location_id=AMIZMIZ,
        supplying_location_id=MARRAKECH,
        lines=[
            RequisitionLine(item_id=BASKETS, quantity=150),
            RequisitionLine(item_id=FLOUR, quantity=50),
        ],
        needed_by=date(2026, 3, 10),
    )


def by_convoy() -> ApproveRequisition:
    return ApproveRequisition.model_validate(
        {
            "requisition_id": REQ,
            "lines": [{"item_id": BASKETS, "quantity": 120}],
            "operation_id": OPERATION,
        }
    )


# Pure: the deciders and the policies' functions.


def test_an_approval_by_convoy_names_the_operation_and_the_convoy_derived_from_it() -> None:
    decider = RequisitionDecider()
    state = reduce(decider.evolve, decider.decide(Requisition(), raised(), AT), Requisition())

    [approved] = decider.decide(state, by_convoy(), AT)

    assert isinstance(approved, RequisitionApproved)
    assert (approved.operation_id, approved.transfer_id) == (OPERATION, CONVOY)
    after = decider.evolve(state, approved)
    assert (after.status, after.operation_id, after.transfer_id) == ("approved", OPERATION, CONVOY)


def test_an_approval_without_operation_keeps_the_shape_it_always_had() -> None:
    plain = ApproveRequisition(requisition_id=REQ)

    assert "operation_id" not in plain.model_dump()


def test_an_approval_by_convoy_plans_the_convoy_with_the_approved_lines() -> None:
    command, wire = carry(APPROVAL, enveloped(APPROVAL))
    again = carry(APPROVAL, enveloped(APPROVAL))[1]

    assert isinstance(command, PlanDeployment)
    assert (command.deployment_id, command.operation_id, command.requisition_id) == (
        CONVOY,
        OPERATION,
        REQ,
    )
    assert (command.from_location_id, command.to_location_id) == (MARRAKECH, AMIZMIZ)
    assert [(ln.item_id, ln.quantity) for ln in command.lines] == [(BASKETS, 120), (FLOUR, 50)]
    assert (wire.command_id, wire.digest()) == (again.command_id, again.digest())
    assert wire.command_id == f"PlanDeployment:{CONVOY}"


def test_the_convoys_stock_commands_carry_the_requisition_from_its_plan() -> None:
    decider = DeploymentDecider()
    plan = PlanDeployment(
        deployment_id=CONVOY,
        operation_id=OPERATION,
        from_location_id=MARRAKECH,
        to_location_id=AMIZMIZ,
        lines=[PlannedLine(item_id=BASKETS, quantity=120)],
        requisition_id=REQ,
    )
    state = reduce(decider.evolve, decider.decide(Deployment(), plan, AT), Deployment())
    [started] = decider.decide(state, StartDispatch(deployment_id=CONVOY), AT)

    taken = take_stock(started, enveloped(started))  # type: ignore[arg-type]

    assert taken is not None and isinstance(taken[0], DispatchTransfer)
    assert (taken[0].transfer_id, taken[0].deployment_id, taken[0].requisition_id) == (
        CONVOY,
        CONVOY,
        REQ,
    )


def test_a_convoy_of_no_requisition_keeps_the_plan_it_always_had() -> None:
    plan = PlanDeployment(
        deployment_id="dep-7",
        operation_id=OPERATION,
        from_location_id=MARRAKECH,
        to_location_id=AMIZMIZ,
        lines=[PlannedLine(item_id=BASKETS, quantity=10)],
    )

    assert "requisition_id" not in plan.model_dump()


# In-process: the worker's reactions with the real deciders.


def approved_by_convoy(baskets_in_stock: int) -> tuple[InMemoryPublisher, InProcessCommandBus]:
    """120 of 150 baskets and the 50 sacks of flour asked approved, by convoy."""
    publisher = InMemoryPublisher()
    bus = InProcessCommandBus(publisher)
    stock_marrakech(bus, baskets_in_stock, AT)
    assert bus.decide(raised(), REQ, OPERATOR, AT).status == "accepted"
    assert bus.decide(by_convoy(), REQ, COORDINATOR, AT).status == "accepted"
    return publisher, bus


def requisition(bus: InProcessCommandBus) -> Requisition:
    state: Requisition = bus.stores["requisition-commands"].state(REQ)
    return state


def dispatch(bus: InProcessCommandBus) -> Reply:
    return bus.decide(StartDispatch(deployment_id=CONVOY), f"{CONVOY}:start", OPERATOR, AT)


def deliver(bus: InProcessCommandBus, publisher: InMemoryPublisher, baskets: int) -> Reply:
    left = next(e for e in publisher.envelopes("stock") if e.type == "TransferDispatched")
    arrival = StartDelivery(
        deployment_id=CONVOY,
        dispatched=[TransferLine.model_validate(ln) for ln in left.data["lines"]],
        arrived=[
            ArrivedLine(item_id=BASKETS, quantity=baskets),
            ArrivedLine(item_id=FLOUR, quantity=50),
        ],
    )
    return bus.decide(arrival, f"{CONVOY}:arrival", OPERATOR, AT)


def test_an_approval_by_convoy_plans_exactly_one_convoy_even_when_reacted_to_again() -> None:
    publisher, bus = approved_by_convoy(baskets_in_stock=200)
    approval = publisher.envelopes("requisitions")[1]
    _, event = decode(encode(approval))

    asyncio.run(REACTIONS["requisitions"][RequisitionApproved](bus, approval, event))

    assert publisher.types("deployments") == [DeploymentPlanned.TYPE]
    plan = publisher.envelopes("deployments")[0].data
    assert (plan["deployment_id"], plan["requisition_id"], plan["operation_id"]) == (
        CONVOY,
        REQ,
        OPERATION,
    )
    assert [(ln["item_id"], ln["quantity"]) for ln in plan["lines"]] == [
        (BASKETS, 120),
        (FLOUR, 50),
    ]
    assert "TransferDispatched" not in publisher.types("stock")
    assert requisition(bus).status == "approved"


def test_the_convoys_dispatch_and_delivery_are_recorded_on_the_requisition_per_line() -> None:
    publisher, bus = approved_by_convoy(baskets_in_stock=200)

    assert dispatch(bus).status == "accepted"
    assert [(ln.approved, ln.dispatched) for ln in requisition(bus).lines] == [(120, 120), (50, 50)]
    assert requisition(bus).status == "dispatched"

    assert deliver(bus, publisher, baskets=120).status == "accepted"

    assert publisher.types("requisitions")[-3:] == [
        "RequisitionDispatchRecorded",
        "RequisitionReceiptRecorded",
        "RequisitionClosed",
    ]
    assert [ln.received for ln in requisition(bus).lines] == [120, 50]
    assert requisition(bus).status == "closed"
    assert publisher.types("deployments")[-1] == "DeploymentDelivered"


def test_a_short_delivery_is_received_short_and_then_closed_short() -> None:
    publisher, bus = approved_by_convoy(baskets_in_stock=200)
    dispatch(bus)

    assert deliver(bus, publisher, baskets=100).status == "accepted"

    state = requisition(bus)
    assert (state.status, [ln.received for ln in state.lines]) == ("received", [100, 50])
    assert "TransferDiscrepancyRecorded" in publisher.types("stock")
    closing = CloseRequisition(requisition_id=REQ, reason="20 baskets lost on the Tizi n'Test")
    assert bus.decide(closing, f"{REQ}:close", COORDINATOR, AT).status == "accepted"
    closed = publisher.envelopes("requisitions")[-1]
    assert (closed.type, closed.data["short"]) == ("RequisitionClosed", True)
    assert requisition(bus).status == "closed"


def test_a_refused_convoy_dispatch_leaves_the_requisition_approved_naming_its_convoy() -> None:
    publisher, bus = approved_by_convoy(baskets_in_stock=90)

    dispatch(bus)

    assert publisher.types("deployments")[-1] == "DeploymentDispatchAborted"
    assert "TransferDispatched" not in publisher.types("stock")
    state = requisition(bus)
    assert (state.status, state.transfer_id, state.operation_id) == ("approved", CONVOY, OPERATION)
    assert "RequisitionDispatchRefused" not in publisher.types("requisitions")


def test_the_convoys_receipt_carries_the_requisition_like_its_dispatch() -> None:
    publisher, bus = approved_by_convoy(baskets_in_stock=200)
    dispatch(bus)
    deliver(bus, publisher, baskets=120)
    started = next(e for e in publisher.envelopes("deployments")
                   if e.type == "DeploymentDeliveryStarted")  # fmt: skip
    _, event = decode(encode(started))

    command, _ = receive_stock(event, started)  # type: ignore[arg-type]

    assert isinstance(command, ReceiveTransfer)
    assert (command.transfer_id, command.requisition_id) == (CONVOY, REQ)
    received = next(e for e in publisher.envelopes("stock") if e.type == "TransferReceived")
    assert received.data["requisition_id"] == REQ
