"""A requisition's approved lines travel as a transfer or a convoy; its dispatch and receipt
come back.

When a `RequisitionApproved` is recorded, the supplying warehouse's writer is asked to
dispatch the approved lines as the transfer the approval names (its id derives from the
approval), carrying the requisition's id; when the warehouse refuses (not enough stock),
the refusal and what was available are recorded on the requisition. The transfer's own
events, `TransferDispatched` at the supplier and `TransferReceived` at the requester, carry
the requisition's id: each becomes a record on the requisition, by item. Every command's id
derives from the transfer, so reacting again gets the decisions already recorded.

An approval by convoy (`operation_id`) plans a deployment instead, under the approval's
transfer id, carrying the requisition's id; the convoy is then dispatched and delivered by
people through its own flow (`policies.convoys`), whose stock commands pass the requisition's
id on, so the same `TransferDispatched` and `TransferReceived` records follow. When the
warehouse refuses the convoy's dispatch, the deployment is planned again and nothing is
recorded on the requisition: it stays approved, naming the convoy, which may be dispatched
again, or cancelled and the requisition closed short. A plan the deployments' writer refuses
is recorded as a refused dispatch, and the requisition may be approved again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from events import Envelope
from events.relief import PlannedLine
from events.requisitions import ReceivedLine, RequisitionApproved, RequisitionLine
from events.stock import TransferDispatched, TransferLine, TransferReceived
from services.domain.commands import Reply
from services.domain.deployments.decider import PlanDeployment
from services.domain.policies import Sent, caused_by
from services.domain.requisitions.commands import (
    RecordRequisitionDispatch,
    RecordRequisitionDispatchRefused,
    RecordRequisitionReceipt,
)
from services.domain.stock.commands import DispatchTransfer, RequestedLine

ALREADY_DISPATCHED = "already_dispatched"


def carry(event: RequisitionApproved, envelope: Envelope) -> Sent:
    """The command that follows from an approval: a dispatch, or a convoy's plan."""
    if event.operation_id is not None:
        return _plan_convoy(event, envelope, event.operation_id)
    return dispatch_stock(event, envelope)


def _plan_convoy(event: RequisitionApproved, envelope: Envelope, operation_id: str) -> Sent:
    """The convoy an approval by convoy asks for, under the approval's transfer id."""
    command = PlanDeployment(
        deployment_id=event.transfer_id,
        operation_id=operation_id,
        from_location_id=event.supplying_location_id,
        to_location_id=event.requesting_location_id,
        lines=[PlannedLine(item_id=ln.item_id, quantity=ln.quantity) for ln in event.lines],
        requisition_id=event.requisition_id,
    )
    return caused_by(command, envelope, event.transfer_id)


def dispatch_stock(event: RequisitionApproved, envelope: Envelope) -> Sent:
    """The supplier's command that follows from an approval."""
    command = DispatchTransfer(
        transfer_id=event.transfer_id,
        from_location_id=event.supplying_location_id,
        to_location_id=event.requesting_location_id,
        lines=[RequestedLine(item_id=ln.item_id, quantity=ln.quantity) for ln in event.lines],
        requisition_id=event.requisition_id,
    )
    return caused_by(command, envelope, event.transfer_id)


def record_refusal(event: RequisitionApproved, envelope: Envelope, answer: Reply) -> Sent | None:
    """The requisition's record of a refused dispatch, or convoy plan (None when the stock
    left, now or before: its `TransferDispatched` records that; or the convoy is planned)."""
    if answer.status == "accepted" or answer.error == ALREADY_DISPATCHED:
        return None
    details = answer.details
    command = RecordRequisitionDispatchRefused(
        requisition_id=event.requisition_id,
        transfer_id=event.transfer_id,
        error=(answer.error or "refused")[:64],
        message=(answer.message or "the supplying warehouse refused the transfer")[:500],
        item_id=_text(details.get("item_id")),
        requested=_count(details.get("requested")),
        available=_count(details.get("available")),
    )
    return caused_by(command, envelope, event.transfer_id)


def record_dispatch(event: TransferDispatched, envelope: Envelope) -> Sent | None:
    """The requisition's record of its transfer's dispatch (None for another transfer)."""
    if event.requisition_id is None:
        return None
    command = RecordRequisitionDispatch(
        requisition_id=event.requisition_id,
        transfer_id=event.transfer_id,
        lines=[RequisitionLine(item_id=i, quantity=q) for i, q in _by_item(event.lines).items()],
    )
    return caused_by(command, envelope, event.transfer_id)


def record_receipt(event: TransferReceived, envelope: Envelope) -> Sent | None:
    """The requisition's record of what arrived (None for another transfer)."""
    if event.requisition_id is None:
        return None
    command = RecordRequisitionReceipt(
        requisition_id=event.requisition_id,
        transfer_id=event.transfer_id,
        lines=[ReceivedLine(item_id=i, quantity=q) for i, q in _by_item(event.lines).items()],
    )
    return caused_by(command, envelope, event.transfer_id)


def _by_item(lines: Iterable[TransferLine]) -> dict[str, int]:
    """Lots of one item added up: a requisition counts items, not lots."""
    total: dict[str, int] = {}
    for line in lines:
        total[line.item_id] = total.get(line.item_id, 0) + line.quantity
    return total


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and 0 <= value < 10**9 else None
