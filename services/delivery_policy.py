"""A convoy's delivery across two writers: the deployment's and its site's.

When a `DeploymentDeliveryStarted` is recorded, the policy asks the site's stock writer to
receive what arrived of the convoy's transfer (a ReceiveTransfer of the transfer keyed by the
deployment: shortfalls become discrepancies), then records the outcome with the deployment's
writer: MarkDelivered when the stock entered the site, AbortDelivery (the convoy is dispatched
again) when the site refused it. Every command's id derives from the start event, so a policy
run again after a crash gets the recorded answers, never a second receipt; and the transfer can
be received only once, whichever start asks.
"""

from __future__ import annotations

from collections.abc import Callable

from events import Envelope
from events.relief import DeploymentDeliveryStarted, PlannedLine
from services.command_bus import CommandBus
from services.commands import Command, CommandEnvelope, Reply
from services.deployment_policy import Sent, flow_id
from services.deployments.decider import AbortDelivery, MarkDelivered
from services.reply_watch import ReplyWatch
from services.stock.commands import ReceiveTransfer

STEPS = (ReceiveTransfer.TYPE, MarkDelivered.TYPE, AbortDelivery.TYPE)
ALREADY_RECEIVED = "already_received"  # the stock entered the site under this transfer id


def _sent(command: Command, envelope: Envelope, deployment_id: str) -> Sent:
    return command, CommandEnvelope.of(
        command,
        flow_id(deployment_id, str(envelope.event_id)),
        envelope.actor,
        envelope.occurred_at,
        correlation_id=envelope.correlation_id,
    )


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
    )
    return _sent(command, envelope, event.deployment_id)


def record_outcome(event: DeploymentDeliveryStarted, envelope: Envelope, received: Reply) -> Sent:
    """The deployment's command that follows from the site's answer."""
    outcome: Command
    if received.status == "accepted" or received.error == ALREADY_RECEIVED:
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
    return _sent(outcome, envelope, event.deployment_id)


async def deliver_convoy(
    bus: CommandBus, envelope: Envelope, event: DeploymentDeliveryStarted
) -> None:
    """Receive the convoy's stock at its site, then record whether it was delivered."""
    received = await bus.send(*receive_stock(event, envelope))
    await bus.send(*record_outcome(event, envelope, received))


def steps_of(deployment_id: str) -> Callable[[str], bool]:
    """Whether a command id is one of the policy's steps for this deployment (any start)."""

    def wanted(command_id: str) -> bool:
        kind, _, flow = command_id.partition(":")
        return kind in STEPS and flow.startswith(f"{deployment_id}:")

    return wanted


async def follow_delivery(
    watch: ReplyWatch, start_event_id: str | None, timeout: float
) -> tuple[Reply | None, Reply]:
    """The site's answer (if seen) and the deployment's final one, for one start (or for
    whichever is under way when `start_event_id` is None); NoOutcomeYet after `timeout`."""
    received: Reply | None = None
    while True:
        reply = await watch.next(timeout)
        if start_event_id is not None and not reply.command_id.endswith(f":{start_event_id}"):
            continue  # an earlier start's step, replayed
        if reply.command_id.startswith(f"{ReceiveTransfer.TYPE}:"):
            received = reply
        else:
            return received, reply
