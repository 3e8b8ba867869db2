"""A requisition folded from its events: what was asked, approved, dispatched, received."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from events import Event
from events.requisitions import (
    RequisitionApproved,
    RequisitionClosed,
    RequisitionDispatchRecorded,
    RequisitionDispatchRefused,
    RequisitionRaised,
    RequisitionReceiptRecorded,
    RequisitionRejected,
)
from services.domain.dispatching import on_message

Status = Literal[
    "unknown",
    "raised",
    "approved",
    "dispatch_refused",
    "dispatched",
    "received",
    "rejected",
    "closed",
]


@dataclass(frozen=True)
class Line:
    """One item of a requisition, as far as it went."""

    item_id: str
    requested: int
    approved: int = 0
    dispatched: int = 0
    received: int = 0


@dataclass(frozen=True)
class Requisition:
    """Where a requisition stands; `transfer_id` is the transfer of its latest approval, or
    its convoy's id when `operation_id` says it travels by convoy within that operation."""

    raised: RequisitionRaised | None = None
    lines: tuple[Line, ...] = ()
    approvals: int = 0
    transfer_id: str | None = None
    operation_id: str | None = None
    dispatched: bool = False
    received: bool = False
    refusal: RequisitionDispatchRefused | None = None
    rejected: bool = False
    closed: bool = False

    @property
    def status(self) -> Status:
        """unknown, raised, approved, dispatch_refused, dispatched, received (short, still
        open), rejected or closed."""
        facts: tuple[tuple[bool, Status], ...] = (
            (self.closed, "closed"),
            (self.rejected, "rejected"),
            (self.received, "received"),
            (self.dispatched, "dispatched"),
            (self.refusal is not None, "dispatch_refused"),
            (self.transfer_id is not None, "approved"),
            (self.raised is not None, "raised"),
        )
        return next((status for fact, status in facts if fact), "unknown")

    def line(self, item_id: str) -> Line | None:
        return next((ln for ln in self.lines if ln.item_id == item_id), None)


def _dispatched(state: Requisition, quantities: dict[str, int]) -> tuple[Line, ...]:
    return tuple(replace(ln, dispatched=quantities.get(ln.item_id, 0)) for ln in state.lines)


def _received(state: Requisition, quantities: dict[str, int]) -> tuple[Line, ...]:
    return tuple(replace(ln, received=quantities.get(ln.item_id, 0)) for ln in state.lines)


@on_message
def evolve(state: Requisition, event: Event) -> Requisition:
    return state


@evolve.register
def _(state: Requisition, event: RequisitionRaised) -> Requisition:
    lines = tuple(Line(item_id=ln.item_id, requested=ln.quantity) for ln in event.lines)
    return Requisition(raised=event, lines=lines)


@evolve.register
def _(state: Requisition, event: RequisitionApproved) -> Requisition:
    """An approval (again, after a refused dispatch) starts a new transfer."""
    approved = {ln.item_id: ln.quantity for ln in event.lines}
    lines = tuple(
        replace(ln, approved=approved.get(ln.item_id, 0), dispatched=0, received=0)
        for ln in state.lines
    )
    return replace(
        state,
        lines=lines,
        approvals=state.approvals + 1,
        transfer_id=event.transfer_id,
        operation_id=event.operation_id,
        dispatched=False,
        received=False,
        refusal=None,
    )


@evolve.register
def _(state: Requisition, event: RequisitionRejected) -> Requisition:
    return replace(state, rejected=True)


@evolve.register
def _(state: Requisition, event: RequisitionDispatchRecorded) -> Requisition:
    sent = {ln.item_id: ln.quantity for ln in event.lines}
    return replace(state, lines=_dispatched(state, sent), dispatched=True)


@evolve.register
def _(state: Requisition, event: RequisitionDispatchRefused) -> Requisition:
    return replace(state, refusal=event)


@evolve.register
def _(state: Requisition, event: RequisitionReceiptRecorded) -> Requisition:
    got = {ln.item_id: ln.quantity for ln in event.lines}
    return replace(state, lines=_received(state, got), received=True)


@evolve.register
def _(state: Requisition, event: RequisitionClosed) -> Requisition:
    return replace(state, closed=True)
