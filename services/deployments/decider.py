"""The single writer of a deployment's life: planned → dispatched → delivered; cancel only
before dispatch. The stock itself moves through the warehouses' own writers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime

from events import Event
from events.relief import (
    ArrivedLine,
    DeploymentCancelled,
    DeploymentDelivered,
    DeploymentDeliveryAborted,
    DeploymentDeliveryStarted,
    DeploymentDispatchAborted,
    DeploymentDispatched,
    DeploymentDispatchStarted,
    DeploymentPlanned,
    PlannedLine,
)
from events.stock import TransferLine
from services.commands import Command
from services.decisions import Refused

STREAM = "deployment-commands"


class PlanDeployment(Command):
    TYPE = "PlanDeployment"
    STREAM = STREAM
    plan: DeploymentPlanned

    @property
    def aggregate_id(self) -> str:
        return self.plan.deployment_id


class _Step(Command):
    STREAM = STREAM
    deployment_id: str

    @property
    def aggregate_id(self) -> str:
        return self.deployment_id


class StartDispatch(_Step):
    TYPE = "StartDispatch"


class AbortDispatch(_Step):
    TYPE = "AbortDispatch"
    reason: str
    error: str | None = None


class MarkDispatched(_Step):
    TYPE = "MarkDispatched"
    lines: list[PlannedLine]
    at: AwareDatetime


class MarkDelivered(_Step):
    TYPE = "MarkDelivered"
    lines: list[PlannedLine]
    at: AwareDatetime


class StartDelivery(_Step):
    """The convoy is at its site: `arrived` of the lots `dispatched` (its transfer's)."""

    TYPE = "StartDelivery"
    dispatched: list[TransferLine]
    arrived: list[ArrivedLine]


class AbortDelivery(_Step):
    TYPE = "AbortDelivery"
    reason: str
    error: str | None = None


class CancelDeployment(_Step):
    TYPE = "CancelDeployment"
    reason: str | None = None


@dataclass(frozen=True)
class Deployment:
    status: str = "unknown"
    plan: DeploymentPlanned | None = None


NEXT = {
    DeploymentPlanned: "planned",
    DeploymentDispatchStarted: "dispatching",
    DeploymentDispatchAborted: "planned",
    DeploymentDispatched: "dispatched",
    DeploymentDeliveryStarted: "delivering",
    DeploymentDeliveryAborted: "dispatched",
    DeploymentDelivered: "delivered",
    DeploymentCancelled: "cancelled",
}


class DeploymentDecider:
    event_stream: str = "deployments"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = {
        c.TYPE: c
        for c in (
            PlanDeployment,
            StartDispatch,
            AbortDispatch,
            MarkDispatched,
            MarkDelivered,
            CancelDeployment,
            StartDelivery,
            AbortDelivery,
        )
    }

    def initial(self) -> Deployment:
        return Deployment()

    def evolve(self, state: Deployment, event: Event) -> Deployment:
        plan = event if isinstance(event, DeploymentPlanned) else state.plan
        return Deployment(NEXT.get(type(event), state.status), plan)

    def decide(self, state: Deployment, command: Command, now: datetime) -> list[Event]:
        if isinstance(command, PlanDeployment):
            if state.plan is None:
                return [command.plan]
            if state.plan == command.plan:
                return []
            raise Refused("already_exists", "this deployment id is taken by another plan")
        assert isinstance(command, _Step)
        if state.plan is None:
            raise Refused("unknown_deployment", f"no deployment {command.deployment_id!r}")
        return _step(state, command)


ALLOWED = {
    "StartDispatch": ("planned", "dispatching"),
    "AbortDispatch": ("dispatching",),
    "MarkDispatched": ("planned", "dispatching"),
    "MarkDelivered": ("dispatched", "delivering"),
    "CancelDeployment": ("planned",),
    "StartDelivery": ("dispatched", "delivering"),
    "AbortDelivery": ("delivering",),
}
DOING = {
    "StartDispatch": "dispatching",
    "AbortDispatch": "aborting a dispatch",
    "MarkDispatched": "dispatching",
    "MarkDelivered": "delivering",
    "CancelDeployment": "cancelling",
    "StartDelivery": "delivering",
    "AbortDelivery": "aborting a delivery",
}


def _step(state: Deployment, command: _Step) -> list[Event]:
    allowed = ALLOWED[command.TYPE]
    if state.status not in allowed:
        raise Refused(
            f"deployment_{state.status}",
            f"the deployment is {state.status}; {DOING[command.TYPE]} needs it {allowed[0]}",
            status=state.status,
        )
    deployment_id = command.deployment_id
    if isinstance(command, StartDelivery | AbortDelivery):
        return _delivery(state, command)
    if isinstance(command, StartDispatch):
        if state.status == "dispatching":  # already under way: the policy carries it on
            return []
        plan = state.plan
        assert plan is not None
        return [
            DeploymentDispatchStarted(
                deployment_id=deployment_id,
                from_location_id=plan.from_location_id,
                to_location_id=plan.to_location_id,
                lines=plan.lines,
            )
        ]
    if isinstance(command, AbortDispatch):
        return [
            DeploymentDispatchAborted(
                deployment_id=deployment_id, reason=command.reason, error=command.error
            )
        ]
    if isinstance(command, MarkDispatched):
        return [
            DeploymentDispatched(
                deployment_id=deployment_id, dispatched=command.lines, dispatched_at=command.at
            )
        ]
    if isinstance(command, MarkDelivered):
        return [
            DeploymentDelivered(
                deployment_id=deployment_id, delivered=command.lines, delivered_at=command.at
            )
        ]
    assert isinstance(command, CancelDeployment)
    return [DeploymentCancelled(deployment_id=deployment_id, reason=command.reason)]


def _delivery(state: Deployment, command: StartDelivery | AbortDelivery) -> list[Event]:
    deployment_id = command.deployment_id
    if isinstance(command, AbortDelivery):
        return [
            DeploymentDeliveryAborted(
                deployment_id=deployment_id, reason=command.reason, error=command.error
            )
        ]
    if state.status == "delivering":  # already under way: the policy carries it on
        return []
    plan = state.plan
    assert plan is not None
    return [
        DeploymentDeliveryStarted(
            deployment_id=deployment_id,
            from_location_id=plan.from_location_id,
            to_location_id=plan.to_location_id,
            dispatched=command.dispatched,
            arrived=command.arrived,
        )
    ]
