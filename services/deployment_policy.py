"""A convoy's dispatch across two writers: the deployment's and its warehouse's.

When a `DeploymentDispatchStarted` is recorded, the policy asks the warehouse's stock
writer for the convoy's stock (a DispatchTransfer keyed by the deployment), then records the
outcome with the deployment's writer: MarkDispatched when the stock left, AbortDispatch (the
convoy is planned again) when the warehouse refused. Every command's id derives from the
start event, so a policy run again after a crash gets the recorded answers, never a second
movement; and the transfer's id is the deployment's, so its stock can leave only once.
"""

from __future__ import annotations

from collections.abc import Callable

from events import Envelope
from events.relief import DeploymentDispatchStarted
from services.command_bus import CommandBus
from services.commands import Command, CommandEnvelope, Reply
from services.deployments.decider import AbortDispatch, MarkDispatched
from services.reply_watch import ReplyWatch
from services.stock.commands import DispatchTransfer, RequestedLine

STEPS = (DispatchTransfer.TYPE, MarkDispatched.TYPE, AbortDispatch.TYPE)
ALREADY_TAKEN = "already_dispatched"  # the stock left under this deployment's transfer id


def flow_id(deployment_id: str, start_event_id: str) -> str:
    """The client id of every command the policy sends for one start of a dispatch."""
    return f"{deployment_id}:{start_event_id}"


Sent = tuple[Command, CommandEnvelope]


def _sent(command: Command, envelope: Envelope, deployment_id: str) -> Sent:
    return command, CommandEnvelope.of(
        command,
        flow_id(deployment_id, str(envelope.event_id)),
        envelope.actor,
        envelope.occurred_at,
        correlation_id=envelope.correlation_id,
    )


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
    )
    return _sent(command, envelope, event.deployment_id)


def record_outcome(event: DeploymentDispatchStarted, envelope: Envelope, taken: Reply) -> Sent:
    """The deployment's command that follows from the warehouse's answer."""
    outcome: Command
    if taken.status == "accepted" or taken.error == ALREADY_TAKEN:
        lines = event.lines or []
        outcome = MarkDispatched(
            deployment_id=event.deployment_id, lines=lines, at=envelope.occurred_at
        )
    else:
        reason = (taken.message or "the warehouse refused the stock")[:500]
        outcome = AbortDispatch(deployment_id=event.deployment_id, reason=reason, error=taken.error)
    return _sent(outcome, envelope, event.deployment_id)


async def dispatch_convoy(
    bus: CommandBus, envelope: Envelope, event: DeploymentDispatchStarted
) -> None:
    """Take the convoy's stock, then record whether it left."""
    take = take_stock(event, envelope)
    if take is not None:
        taken = await bus.send(*take)
        await bus.send(*record_outcome(event, envelope, taken))


def steps_of(deployment_id: str) -> Callable[[str], bool]:
    """Whether a command id is one of the policy's steps for this deployment (any start)."""

    def wanted(command_id: str) -> bool:
        kind, _, flow = command_id.partition(":")
        return kind in STEPS and flow.startswith(f"{deployment_id}:")

    return wanted


async def follow_dispatch(
    watch: ReplyWatch, start_event_id: str | None, timeout: float
) -> tuple[Reply | None, Reply]:
    """The warehouse's answer (if seen) and the deployment's final one, for one start (or for
    whichever is under way when `start_event_id` is None); NoOutcomeYet after `timeout`."""
    taken: Reply | None = None
    while True:
        reply = await watch.next(timeout)
        if start_event_id is not None and not reply.command_id.endswith(f":{start_event_id}"):
            continue  # an earlier start's step, replayed
        if reply.command_id.startswith(f"{DispatchTransfer.TYPE}:"):
            taken = reply
        else:
            return taken, reply
