"""The single writer of a requisition: raised → approved (or rejected) → dispatched →
received → closed. Its stock moves through the warehouses' own writers, by policies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from uuid import UUID, uuid5

from events import Event
from events.requisitions import (
    RequisitionApproved,
    RequisitionClosed,
    RequisitionDispatchRecorded,
    RequisitionDispatchRefused,
    RequisitionLine,
    RequisitionRaised,
    RequisitionReceiptRecorded,
    RequisitionRejected,
)
from services.domain.commands import Command
from services.domain.decisions import Refused, Rejected
from services.domain.dispatching import on_message
from services.domain.requisitions.commands import (
    REQUISITION_COMMANDS,
    STREAM,
    ApproveRequisition,
    CloseRequisition,
    RaiseRequisition,
    RecordRequisitionDispatch,
    RecordRequisitionDispatchRefused,
    RecordRequisitionReceipt,
    RejectRequisition,
)
from services.domain.requisitions.state import Requisition, evolve

TRANSFER_NAMESPACE = UUID("0f6b3f5e-2d7c-4b8e-9c1a-7e5d4a3b2c10")
OPEN_TO_DECISION = ("raised", "dispatch_refused")
OPEN_TO_CLOSING = ("approved", "dispatch_refused", "dispatched", "received")


def transfer_id_for(requisition_id: str, approval: int) -> str:
    """The transfer (or convoy: a deployment, whose stock moves under the same id) an approval
    asks for: derived from it, so asking again never makes two."""
    return str(uuid5(TRANSFER_NAMESPACE, f"{requisition_id}/approval/{approval}"))


@on_message
def decide(state: Requisition, command: Command, now: datetime) -> list[Event]:
    raise Rejected("unknown_command", f"requisitions cannot handle {command.TYPE}")


@decide.register
def _(state: Requisition, command: RaiseRequisition, now: datetime) -> list[Event]:
    if state.raised is not None:
        raise Refused("requisition_exists", f"requisition {command.requisition_id!r} exists")
    if command.requesting_location_id == command.supplying_location_id:
        raise Rejected(
            "same_location",
            "a requisition asks another location: choose a supplying warehouse",
            field="supplying_location_id",
        )
    items = [ln.item_id for ln in command.lines]
    if len(set(items)) < len(items):
        raise Rejected("duplicate_item", "ask for each item on one line", field="lines")
    if command.needed_by < now.date():
        raise Rejected(
            "needed_by_past", f"needed by {command.needed_by} is in the past", field="needed_by"
        )
    return [RequisitionRaised(**command.model_dump())]


def _in_status(
    state: Requisition, requisition_id: str, doing: str, allowed: Iterable[str]
) -> RequisitionRaised:
    """Refuse unless the requisition exists and its status allows the step."""
    if state.raised is None:
        raise Refused("unknown_requisition", f"no requisition {requisition_id!r}")
    statuses = tuple(allowed)
    if state.status not in statuses:
        raise Refused(
            f"requisition_{state.status}",
            f"the requisition is {state.status}; {doing} needs it {' or '.join(statuses)}",
            status=state.status,
        )
    return state.raised


@decide.register
def _(state: Requisition, command: ApproveRequisition, now: datetime) -> list[Event]:
    """As asked, or fewer units of a line, never more; again after a refused dispatch."""
    raised = _in_status(state, command.requisition_id, "approving", OPEN_TO_DECISION)
    approved = {ln.item_id: ln.requested for ln in state.lines}
    for line in command.lines:
        asked = approved.get(line.item_id)
        if asked is None:
            raise Rejected(
                "not_requested",
                f"{line.item_id!r} is not requested on this requisition",
                field="lines",
                item_id=line.item_id,
            )
        if line.quantity > asked:
            raise Rejected(
                "more_than_requested",
                f"{asked} of {line.item_id!r} were requested: approve at most that",
                field="lines",
                item_id=line.item_id,
                requested=asked,
            )
        approved[line.item_id] = line.quantity
    lines = [RequisitionLine(item_id=i, quantity=q) for i, q in approved.items() if q > 0]
    if not lines:
        raise Rejected(
            "nothing_approved",
            "approve at least one unit, or reject the requisition",
            field="lines",
        )
    return [
        RequisitionApproved(
            requisition_id=command.requisition_id,
            transfer_id=transfer_id_for(command.requisition_id, state.approvals + 1),
            supplying_location_id=raised.supplying_location_id,
            requesting_location_id=raised.requesting_location_id,
            lines=lines,
            operation_id=command.operation_id,
        )
    ]


@decide.register
def _(state: Requisition, command: RejectRequisition, now: datetime) -> list[Event]:
    _in_status(state, command.requisition_id, "rejecting", OPEN_TO_DECISION)
    return [RequisitionRejected(requisition_id=command.requisition_id, reason=command.reason)]


@decide.register
def _(state: Requisition, command: CloseRequisition, now: datetime) -> list[Event]:
    _in_status(state, command.requisition_id, "closing", OPEN_TO_CLOSING)
    return [
        RequisitionClosed(requisition_id=command.requisition_id, short=True, reason=command.reason)
    ]


def _its_transfer(state: Requisition, requisition_id: str, transfer_id: str) -> None:
    if state.raised is None:
        raise Refused("unknown_requisition", f"no requisition {requisition_id!r}")
    if transfer_id != state.transfer_id:
        raise Refused(
            "not_its_transfer",
            f"transfer {transfer_id!r} does not carry the requisition's latest approval",
            transfer_id=transfer_id,
        )


def _within_approved(state: Requisition, lines: Iterable[tuple[str, int]], doing: str) -> None:
    """Over-dispatch (or over-receipt) is refused: never more of an item than approved."""
    for item_id, quantity in lines:
        line = state.line(item_id)
        approved = line.approved if line else 0
        if quantity > approved:
            raise Refused(
                "more_than_approved",
                f"{quantity} of {item_id!r} {doing}, {approved} approved",
                item_id=item_id,
                approved=approved,
            )


@decide.register
def _(state: Requisition, command: RecordRequisitionDispatch, now: datetime) -> list[Event]:
    """Recorded once per transfer, even on a requisition closed short in the meantime."""
    _its_transfer(state, command.requisition_id, command.transfer_id)
    if state.dispatched:
        raise Refused("already_recorded", "the transfer's dispatch is recorded already")
    _within_approved(state, ((ln.item_id, ln.quantity) for ln in command.lines), "dispatched")
    return [RequisitionDispatchRecorded(**command.model_dump())]


@decide.register
def _(state: Requisition, command: RecordRequisitionDispatchRefused, now: datetime) -> list[Event]:
    _its_transfer(state, command.requisition_id, command.transfer_id)
    if state.dispatched or state.refusal is not None:
        raise Refused("already_recorded", "the transfer's dispatch is recorded already")
    return [RequisitionDispatchRefused(**command.model_dump())]


@decide.register
def _(state: Requisition, command: RecordRequisitionReceipt, now: datetime) -> list[Event]:
    """What arrived; the requisition closes when every approved unit has."""
    _its_transfer(state, command.requisition_id, command.transfer_id)
    if state.received:
        raise Refused("already_recorded", "the transfer's receipt is recorded already")
    got = {ln.item_id: ln.quantity for ln in command.lines}
    _within_approved(state, got.items(), "received")
    events: list[Event] = [RequisitionReceiptRecorded(**command.model_dump())]
    complete = all(got.get(ln.item_id, 0) >= ln.approved for ln in state.lines)
    if complete and not state.closed:
        events.append(RequisitionClosed(requisition_id=command.requisition_id, short=False))
    return events


class RequisitionDecider:
    """Decides the steps of one requisition at a time."""

    event_stream: str = "requisitions"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = REQUISITION_COMMANDS
    initial = staticmethod(Requisition)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
