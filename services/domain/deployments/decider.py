"""The single writer of a deployment's life: planned → dispatched → delivered → closed; cancel
only before dispatch. The stock itself moves through the warehouses' own writers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, Field, model_validator

from events import Event
from events.base import Identifier
from events.relief import (
    ArrivedLine,
    DeploymentCancelled,
    DeploymentClosed,
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
from services.domain.commands import Command, unsaid
from services.domain.decisions import Refused, Rejected
from services.domain.dispatching import on_message

STREAM = "deployment-commands"


class PlanDeployment(Command):
    """A convoy of `lines` from a warehouse to a site of the operation, as the client asks.
    The application layer adds what this writer does not hold: the day the operation closed,
    if it did (its own writer decides that)."""

    TYPE = "PlanDeployment"
    STREAM = STREAM
    deployment_id: Identifier
    operation_id: Identifier
    from_location_id: Identifier
    to_location_id: Identifier
    lines: list[PlannedLine] = Field(min_length=1)
    expected_hours: int = Field(default=48, ge=1, le=24 * 60)
    # A plan for an open operation, of no requisition, keeps the shape (and digest) it
    # always had.
    requisition_id: Identifier | None = Field(  # whose approved lines it carries
        default=None, exclude_if=unsaid
    )
    operation_closed_on: date | None = Field(default=None, exclude_if=unsaid)

    @model_validator(mode="before")
    @classmethod
    def _from_older_shape(cls, data: Any) -> Any:
        """The older shape carried the ready event under `plan`; such a command may still
        wait in the topic when the worker is upgraded."""
        if isinstance(data, dict) and isinstance(data.get("plan"), dict):
            return {k: v for k, v in data["plan"].items() if k != "type"}
        return data

    @property
    def aggregate_id(self) -> str:
        return self.deployment_id


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


class CloseDeployment(_Step):
    TYPE = "CloseDeployment"
    reason: str | None = Field(default=None, max_length=500)


@dataclass(frozen=True)
class Deployment:
    """Where the deployment stands, and its plan once planned."""

    status: str = "unknown"
    plan: DeploymentPlanned | None = None


@on_message
def evolve(state: Deployment, event: Event) -> Deployment:
    return state


@evolve.register
def _(state: Deployment, event: DeploymentPlanned) -> Deployment:
    return Deployment("planned", event)


StepTaken = (
    DeploymentDispatchStarted
    | DeploymentDispatchAborted
    | DeploymentDispatched
    | DeploymentDelivered
    | DeploymentCancelled
    | DeploymentDeliveryStarted
    | DeploymentDeliveryAborted
    | DeploymentClosed
)
STATUS_AFTER: Mapping[type[Event], str] = {
    DeploymentDispatchStarted: "dispatching",
    DeploymentDispatchAborted: "planned",
    DeploymentDispatched: "dispatched",
    DeploymentDelivered: "delivered",
    DeploymentCancelled: "cancelled",
    DeploymentDeliveryStarted: "delivering",
    DeploymentDeliveryAborted: "dispatched",
    DeploymentClosed: "closed",
}


@evolve.register
def _(state: Deployment, event: StepTaken) -> Deployment:
    return replace(state, status=STATUS_AFTER[type(event)])


@on_message
def decide(state: Deployment, command: Command, now: datetime) -> list[Event]:
    raise Rejected("unknown_command", f"deployments cannot handle {command.TYPE}")


@decide.register
def _(state: Deployment, command: PlanDeployment, now: datetime) -> list[Event]:
    plan = DeploymentPlanned(**command.model_dump(exclude={"operation_closed_on"}))
    if state.plan is None and command.operation_closed_on is not None:
        raise Refused(
            "operation_closed",
            f"operation {command.operation_id!r} closed on {command.operation_closed_on}: "
            "no convoy is planned for it any more",
            closed_on=str(command.operation_closed_on),
        )
    if state.plan is None:
        return [plan]
    if state.plan == plan:
        return []
    raise Refused("already_exists", "this deployment id is taken by another plan")


@decide.register
def _(state: Deployment, command: StartDispatch, now: datetime) -> list[Event]:
    plan = _ready(state, command, "dispatching", "planned", "dispatching")
    if state.status == "dispatching":  # already under way: the policy carries it on
        return []
    return [
        DeploymentDispatchStarted(
            deployment_id=command.deployment_id,
            from_location_id=plan.from_location_id,
            to_location_id=plan.to_location_id,
            lines=plan.lines,
            requisition_id=plan.requisition_id,
        )
    ]


Aborted = type[DeploymentDispatchAborted] | type[DeploymentDeliveryAborted]
ABORTED: Mapping[type[Command], tuple[Aborted, str, str]] = {
    AbortDispatch: (DeploymentDispatchAborted, "aborting a dispatch", "dispatching"),
    AbortDelivery: (DeploymentDeliveryAborted, "aborting a delivery", "delivering"),
}


@decide.register
def _(state: Deployment, command: AbortDispatch | AbortDelivery, now: datetime) -> list[Event]:
    """The stock's writer refused: the convoy goes back to where it stood before the start."""
    aborted, doing, under_way = ABORTED[type(command)]
    _ready(state, command, doing, under_way)
    return [
        aborted(deployment_id=command.deployment_id, reason=command.reason, error=command.error)
    ]


@decide.register
def _(state: Deployment, command: MarkDispatched, now: datetime) -> list[Event]:
    _ready(state, command, "dispatching", "planned", "dispatching")
    return [
        DeploymentDispatched(
            deployment_id=command.deployment_id, dispatched=command.lines, dispatched_at=command.at
        )
    ]


@decide.register
def _(state: Deployment, command: MarkDelivered, now: datetime) -> list[Event]:
    _ready(state, command, "delivering", "dispatched", "delivering")
    return [
        DeploymentDelivered(
            deployment_id=command.deployment_id, delivered=command.lines, delivered_at=command.at
        )
    ]


@decide.register
def _(state: Deployment, command: StartDelivery, now: datetime) -> list[Event]:
    plan = _ready(state, command, "delivering", "dispatched", "delivering")
    if state.status == "delivering":  # already under way: the policy carries it on
        return []
    return [
        DeploymentDeliveryStarted(
            deployment_id=command.deployment_id,
            from_location_id=plan.from_location_id,
            to_location_id=plan.to_location_id,
            dispatched=command.dispatched,
            arrived=command.arrived,
            requisition_id=plan.requisition_id,
        )
    ]


@decide.register
def _(state: Deployment, command: CancelDeployment, now: datetime) -> list[Event]:
    _ready(state, command, "cancelling", "planned")
    return [DeploymentCancelled(deployment_id=command.deployment_id, reason=command.reason)]


@decide.register
def _(state: Deployment, command: CloseDeployment, now: datetime) -> list[Event]:
    """Only a delivered convoy is closed (a cancelled one is over already)."""
    _ready(state, command, "closing", "delivered")
    return [DeploymentClosed(deployment_id=command.deployment_id, reason=command.reason)]


def _ready(state: Deployment, command: _Step, doing: str, *allowed: str) -> DeploymentPlanned:
    """The plan, if the deployment exists and is in a status that allows the step."""
    if state.plan is None:
        raise Refused("unknown_deployment", f"no deployment {command.deployment_id!r}")
    if state.status not in allowed:
        raise Refused(
            f"deployment_{state.status}",
            f"the deployment is {state.status}; {doing} needs it {allowed[0]}",
            status=state.status,
        )
    return state.plan


class DeploymentDecider:
    """Decides the steps of one deployment at a time."""

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
            StartDelivery,
            AbortDelivery,
            CancelDeployment,
            CloseDeployment,
        )
    }
    initial = staticmethod(Deployment)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
