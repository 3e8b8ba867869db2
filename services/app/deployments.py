"""Convoys of an operation: plan, dispatch (stock leaves the warehouse), deliver, close, or
cancel."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from events.relief import ArrivedLine
from projections import queries, relief_queries
from projections.paging import EVERYTHING, Page, Paging
from services.app.errors import Conflict, Invalid, NotFound
from services.app.permissions import User, authorize
from services.app.policies import follow
from services.app.ports import Ports
from services.app.reading import in_thread, known, remember_write, wait_for_own_writes
from services.app.sending import Outcome, decide, refuse
from services.app.stock import dispatched_lots, dispatched_transfer
from services.domain.commands import Command, Reply, lookup_on
from services.domain.deployments.decider import STREAM as DEPLOYMENTS
from services.domain.deployments.decider import (
    AbortDelivery,
    AbortDispatch,
    CancelDeployment,
    CloseDeployment,
    PlanDeployment,
    StartDelivery,
    StartDispatch,
)
from services.domain.policies.convoys import DELIVERY, DISPATCH, Steps, flow_id
from services.domain.positions import Position
from services.domain.stock.commands import STREAM as STOCK


def on_the_board(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A deployment with its time in transit, and whether it is overdue."""
    left, arrived = row["dispatched_at"], row["delivered_at"]
    hours = None
    if left is not None:
        end = arrived or now.astimezone(UTC).replace(tzinfo=None)
        hours = round((end - left).total_seconds() / 3600, 2)
    overdue = row["status"] == "dispatched" and hours is not None and hours > row["expected_hours"]
    return row | {"hours_in_transit": hours, "overdue": overdue}


async def current(ports: Ports, deployment_id: str) -> dict[str, Any]:
    """The deployment as projected (after this process's own writes), or NotFound."""
    row = await in_thread(relief_queries.deployment, ports.engine, deployment_id)
    await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "deployments")
    row = await in_thread(relief_queries.deployment, ports.engine, deployment_id)
    if row is None:
        raise NotFound(f"no deployment {deployment_id!r}", error="unknown_deployment")
    return row


def _outcome(deployment_id: str, *replies: Reply) -> Outcome:
    events = [e for r in replies for e in r.events]
    return Outcome(deployment_id, events, replies[-1].position)


async def plan_deployment(ports: Ports, user: User, now: datetime, plan: PlanDeployment) -> Outcome:
    """Plan a convoy from a warehouse to a site of the operation (409 once it closed)."""
    authorize(user, "relief.write")
    plan = plan.model_copy(update={"operation_closed_on": await _closed_on(ports, plan)})
    await known(ports, queries.location, plan.from_location_id, "from_location_id", "location")
    await known(ports, queries.location, plan.to_location_id, "to_location_id", "location")
    for line in plan.lines:
        await known(ports, queries.item, line.item_id, "lines.item_id", "item")
    reply = await decide(
        ports,
        plan,
        plan.deployment_id,
        user,
        now,
        reused_id=("already_exists", "this deployment id is taken"),
    )
    return Outcome.registered(plan.deployment_id, reply)


async def _closed_on(ports: Ports, plan: PlanDeployment) -> date | None:
    """The day the plan's operation closed, for the convoy's writer to refuse the plan; None
    while it is open, or when this very convoy was planned before (a retry then gets the
    first answer)."""
    await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "reference")
    operation = await known(
        ports, relief_queries.operation, plan.operation_id, "operation_id", "operation"
    )
    closed_on: date | None = operation["closed_on"]
    if closed_on is not None:
        earlier = await in_thread(relief_queries.deployment, ports.engine, plan.deployment_id)
        return None if earlier is not None else closed_on
    return None


async def _step(
    ports: Ports, command: Any, user: User, now: datetime, key: str | None = None
) -> Reply:
    """The deployment writer's decision on one step, under the client's idempotency key (the
    same request again is answered the same) or a fresh id."""
    client_id = f"{command.deployment_id}:{key or uuid.uuid4()}"
    return await decide(ports, command, client_id, user, now)


async def _run_flow(
    ports: Ports,
    steps: Steps,
    start: Command,
    user: User,
    now: datetime,
    key: str | None = None,
) -> tuple[Reply, Reply | None, Reply]:
    """Ask the deployment's writer to start a flow, then follow the policy that carries it:
    the start's reply, the stock writer's answer (if seen) and the accepted final step (the
    flow's end or its undoing). 409 when the start itself is refused. The same request
    again under its `key` finds the flow it started: ended, as its writers recorded it."""
    deployment_id: str = start.aggregate_id
    with ports.bus.watch(steps.of(deployment_id)) as watch:
        started = await _step(ports, start, user, now, key)
        start_id = started.events[0]["event_id"] if started.events else None
        ended = None
        if started.replayed and start_id is not None:
            ended = await _ended(ports, steps, started, user, now)
        timeout = ports.settings.decision_timeout_seconds
        stock, outcome = ended or await follow(watch, steps, start_id, timeout)
    for reply in (stock, outcome):
        if reply is not None and reply.position:
            remember_write(ports, Position.parse(reply.position))
    if outcome.status != "accepted":
        raise Conflict(outcome.message or "refused", error=outcome.error or "conflict")
    return started, stock, outcome


async def _ended(
    ports: Ports, steps: Steps, started: Reply, user: User, now: datetime
) -> tuple[Reply | None, Reply] | None:
    """How the flow a start began ended, as its writers recorded it (the stock writer's
    answer and the deployment's final step), or None while it is under way."""
    start = started.events[0]
    deployment_id, start_id = start["data"]["deployment_id"], start["event_id"]
    flow = flow_id(deployment_id, start_id)
    ends = await _recorded(
        ports,
        DEPLOYMENTS,
        deployment_id,
        [f"{steps.done}:{flow}", f"{steps.undone}:{flow}"],
        user,
        now,
    )
    if not ends:
        return None
    location = start["data"][steps.stock_at]
    stock = await _recorded(ports, STOCK, location, [f"{steps.stock}:{flow}"], user, now)
    return next(iter(stock.values()), None), next(iter(ends.values()))


async def _recorded(
    ports: Ports, stream: str, aggregate: str, command_ids: list[str], user: User, now: datetime
) -> dict[str, Reply]:
    """What a stream's writer recorded for those of the commands it decided."""
    command = lookup_on(stream)(aggregate=aggregate, command_ids=command_ids)
    reply = await decide(ports, command, str(uuid.uuid4()), user, now)
    return {cid: Reply.model_validate(r) for cid, r in reply.details.get("found", {}).items()}


def _refused(taken: Reply | None, aborted: Reply) -> Conflict:
    """The warehouse's refusal that put the convoy back to planned."""
    if taken is not None and taken.status != "accepted":
        error = taken.error or "dispatch_refused"
        return Conflict(taken.message or "refused", error=error, **taken.details)
    data = aborted.events[0]["data"] if aborted.events else {}
    reason = data.get("reason") or "the warehouse refused the stock"
    return Conflict(reason, error=data.get("error") or "dispatch_refused")


async def dispatch_deployment(
    ports: Ports, user: User, now: datetime, deployment_id: str, key: str | None = None
) -> Outcome:
    """Take the planned stock out of the warehouse (409 if short) and mark the convoy left.

    The deployment's own writer is asked to start (no dispatch once cancelled); the dispatch
    policy then asks the warehouse's (no stock it does not hold) and records the outcome, a
    refusal putting the convoy back to planned. This answers with that outcome (503 if it
    takes too long: the convoy is then still on its way out, and asking again is safe).
    With `key`, the same request again answers the same, however its flow ended."""
    authorize(user, "relief.write")
    await current(ports, deployment_id)
    start = StartDispatch(deployment_id=deployment_id)
    started, taken, outcome = await _run_flow(ports, DISPATCH, start, user, now, key)
    if outcome.command_id.startswith(AbortDispatch.TYPE):
        raise _refused(taken, outcome)
    return _outcome(deployment_id, *(r for r in (started, taken, outcome) if r is not None))


def _undelivered(received: Reply | None, aborted: Reply) -> Exception:
    """The site's refusal (409) or rejection (422) that put the convoy back to dispatched."""
    if received is not None and received.status != "accepted":
        try:
            refuse(received)
        except (Conflict, Invalid) as exc:
            return exc
    data = aborted.events[0]["data"] if aborted.events else {}
    reason = data.get("reason") or "the site refused the stock"
    return Conflict(reason, error=data.get("error") or "delivery_refused")


async def deliver_deployment(
    ports: Ports,
    user: User,
    now: datetime,
    deployment_id: str,
    arrived: list[tuple[str, int]],
    key: str | None = None,
) -> Outcome:
    """Record what arrived (item, quantity): stock enters the site, shortfalls become
    discrepancies.

    The deployment's own writer is asked to start (only a dispatched convoy is delivered); the
    delivery policy then asks the site's writer to receive the stock and records the outcome,
    a refusal putting the convoy back to dispatched. This answers with that outcome (503 if it
    takes too long: the delivery is then under way, and asking again is safe). With `key`,
    the same request again answers the same, however its flow ended (the convoy closed
    since, say)."""
    authorize(user, "relief.write")
    row = await current(ports, deployment_id)
    # nothing (more) to receive; a closed convoy's writer says so itself, after answering
    # a request it took before under the same key
    if row["status"] in ("planned", "cancelled") or (row["status"] == "closed" and not key):
        status = row["status"]
        raise Conflict(
            f"the deployment is {status}; delivering needs it dispatched",
            error=f"deployment_{status}",
            status=status,
        )
    transfer = await dispatched_transfer(ports, deployment_id)
    start = StartDelivery(
        deployment_id=deployment_id,
        dispatched=dispatched_lots(transfer),
        arrived=[ArrivedLine(item_id=i, quantity=q) for i, q in arrived],
    )
    _, received, outcome = await _run_flow(ports, DELIVERY, start, user, now, key)
    if outcome.command_id.startswith(AbortDelivery.TYPE):
        raise _undelivered(received, outcome)
    return _outcome(deployment_id, *(r for r in (received, outcome) if r is not None))


async def deliver_as_dispatched(
    ports: Ports, user: User, now: datetime, deployment_id: str
) -> Outcome:
    """Record that everything dispatched (or else planned) arrived."""
    row = await current(ports, deployment_id)
    sent = row["dispatched"] or row["planned"]
    arrived = [(line["item_id"], line["quantity"]) for line in sent]
    return await deliver_deployment(ports, user, now, deployment_id, arrived)


async def cancel_deployment(
    ports: Ports,
    user: User,
    now: datetime,
    deployment_id: str,
    reason: str | None = None,
    key: str | None = None,
) -> Outcome:
    """Cancel a convoy that has not left yet; with `key`, the same request again answers
    the same (without, it is a 409 once cancelled)."""
    command = CancelDeployment(deployment_id=deployment_id, reason=reason)
    return await _last_step(ports, user, now, command, key)


async def close_deployment(
    ports: Ports,
    user: User,
    now: datetime,
    deployment_id: str,
    reason: str | None = None,
    key: str | None = None,
) -> Outcome:
    """Close a delivered convoy: it takes no further step; with `key`, the same request
    again answers the same (without, it is a 409 once closed)."""
    command = CloseDeployment(deployment_id=deployment_id, reason=reason)
    return await _last_step(ports, user, now, command, key)


async def _last_step(
    ports: Ports,
    user: User,
    now: datetime,
    command: CancelDeployment | CloseDeployment,
    key: str | None,
) -> Outcome:
    """A step after which the convoy takes no other: its one writer decides it alone."""
    authorize(user, "relief.write")
    await current(ports, command.deployment_id)
    reply = await _step(ports, command, user, now, key)
    return Outcome.of(command.deployment_id, reply)


async def deployment_board(
    ports: Ports,
    user: User,
    now: datetime,
    operation_id: str | None = None,
    paging: Paging = EVERYTHING,
) -> Page:
    """The board: status, timeline, quantities planned/dispatched/delivered, time in transit."""
    authorize(user, "relief.read")
    page = await in_thread(relief_queries.deployment_board, ports.engine, operation_id, paging)
    return Page([on_the_board(r, now) for r in page.items], page.next)
