"""A convoy's dispatch and delivery, each across two writers: the deployment's and a stock's.

Both flows have the same two steps. When a `DeploymentDispatchStarted` is recorded, the
warehouse's writer is asked for the convoy's stock (a DispatchTransfer keyed by the
deployment), then the deployment's writer records the outcome: MarkDispatched when the stock
left, AbortDispatch (planned again) when the warehouse refused. When a
`DeploymentDeliveryStarted` is recorded, the site's writer is asked to receive what arrived (a
ReceiveTransfer: shortfalls become discrepancies), then MarkDelivered or AbortDelivery
(dispatched again). Every command's id derives from the start event, so reacting again gets
the recorded answers, never a second movement; and the transfer's id is the deployment's, so
its stock leaves, and enters, only once whichever start asks. A convoy planned for a
requisition passes the requisition's id to both stock commands, so its TransferDispatched and
TransferReceived are recorded on the requisition as a plain transfer's are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from events import Envelope
from events.relief import DeploymentDeliveryStarted, DeploymentDispatchStarted, PlannedLine
from services.domain.commands import Command, Reply
from services.domain.deployments.decider import (
    AbortDelivery,
    AbortDispatch,
    MarkDelivered,
    MarkDispatched,
)
from services.domain.policies import Sent, caused_by
from services.domain.stock.commands import DispatchTransfer, ReceiveTransfer, RequestedLine


@dataclass(frozen=True)
class Steps:
    """The command types of one flow: the stock's step, then the outcome recorded."""

    stock: str
    done: str
    undone: str
    already: str  # the stock writer's answer when this transfer's step was taken before
    stock_at: str  # the start's field naming the location whose writer takes the stock step

    def of(self, deployment_id: str) -> Callable[[str], bool]:
        """Whether a command id is one of this flow's steps for the deployment (any start)."""

        def wanted(command_id: str) -> bool:
            kind, _, flow = command_id.partition(":")
            return kind in (self.stock, self.done, self.undone) and flow.startswith(
                f"{deployment_id}:"
            )

        return wanted

    def taken(self, answer: Reply) -> bool:
        """Whether the stock's answer means the stock moved (now or before)."""
        return answer.status == "accepted" or answer.error == self.already


DISPATCH = Steps(
    DispatchTransfer.TYPE,
    MarkDispatched.TYPE,
    AbortDispatch.TYPE,
    "already_dispatched",
    "from_location_id",
)
DELIVERY = Steps(
    ReceiveTransfer.TYPE,
    MarkDelivered.TYPE,
    AbortDelivery.TYPE,
    "already_received",
    "to_location_id",
)


def flow_id(deployment_id: str, start_event_id: str) -> str:
    """The client id of every command sent for one start of a flow."""
    return f"{deployment_id}:{start_event_id}"


def _step(command: Command, envelope: Envelope, deployment_id: str) -> Sent:
    return caused_by(command, envelope, flow_id(deployment_id, str(envelope.event_id)))


def take_stock(event: DeploymentDispatchStarted, envelope: Envelope) -> Sent | None:
    """The warehouse's command that follows from a start (None for a start too old to say)."""
    if event.lines is None or event.from_location_id is None or event.to_location_id is None:
        return None
    command = DispatchTransfer(
        transfer_id=event.deployment_id,
        from_location_id=event.from_location_id,
        to_location_id=event.to_location_id,
        lines=[RequestedLine(item_id=ln.item_id, quantity=ln.quantity) for ln in event.lines],
        deployment_id=event.deployment_id,
        requisition_id=event.requisition_id,
    )
    return _step(command, envelope, event.deployment_id)


def record_dispatch(event: DeploymentDispatchStarted, envelope: Envelope, taken: Reply) -> Sent:
    """The deployment's command that follows from the warehouse's answer."""
    outcome: Command
    if DISPATCH.taken(taken):
        outcome = MarkDispatched(
            deployment_id=event.deployment_id, lines=event.lines or [], at=envelope.occurred_at
        )
    else:
        reason = (taken.message or "the warehouse refused the stock")[:500]
        outcome = AbortDispatch(deployment_id=event.deployment_id, reason=reason, error=taken.error)
    return _step(outcome, envelope, event.deployment_id)


def receive_stock(event: DeploymentDeliveryStarted, envelope: Envelope) -> Sent:
    """The site's command that follows from a start: receive what arrived, by item."""
    received: dict[str, int] = {}
    for line in event.arrived:
        received[line.item_id] = received.get(line.item_id, 0) + line.quantity
    command = ReceiveTransfer(
        transfer_id=event.deployment_id,
        from_location_id=event.from_location_id,
        to_location_id=event.to_location_id,
        dispatched=event.dispatched,
        received=received,
        deployment_id=event.deployment_id,
        requisition_id=event.requisition_id,
    )
    return _step(command, envelope, event.deployment_id)


def record_delivery(event: DeploymentDeliveryStarted, envelope: Envelope, received: Reply) -> Sent:
    """The deployment's command that follows from the site's answer."""
    outcome: Command
    if DELIVERY.taken(received):
        arrived = [PlannedLine(item_id=ln.item_id, quantity=ln.quantity)
                   for ln in event.arrived if ln.quantity > 0]  # fmt: skip
        outcome = MarkDelivered(
            deployment_id=event.deployment_id, lines=arrived, at=envelope.occurred_at
        )
    else:
        reason = (received.message or "the site refused the stock")[:500]
        outcome = AbortDelivery(
            deployment_id=event.deployment_id, reason=reason, error=received.error
        )
    return _step(outcome, envelope, event.deployment_id)
