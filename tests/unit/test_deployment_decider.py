"""Stories of one convoy to Al Haouz: what the deployment decider records, and what it refuses.

Pure: the decider alone, no database and no Kafka. After the Al Haouz earthquake a convoy of
400 Ramadan baskets and 50 sacks of flour is planned from the Marrakech warehouse to the
Amizmiz distribution site; facts already in the log are folded with `evolve`, then one
command is decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import pytest

from events import Event
from events.relief import (
    ArrivedLine,
    DeploymentCancelled,
    DeploymentClosed,
    DeploymentDelivered,
    DeploymentDeliveryAborted,
    DeploymentDeliveryStarted,
    DeploymentDispatched,
    DeploymentPlanned,
    PlannedLine,
)
from events.stock import TransferLine
from services.domain.commands import Command
from services.domain.decisions import Refused
from services.domain.deployments.decider import (
    AbortDelivery,
    CancelDeployment,
    CloseDeployment,
    Deployment,
    DeploymentDecider,
    MarkDelivered,
    MarkDispatched,
    PlanDeployment,
    StartDelivery,
)

CONVOY, OPERATION = "dep-al-haouz-01", "op-seisme-al-haouz"
MARRAKECH, AMIZMIZ = "wh-marrakech", "site-al-haouz"
DAWN = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
ARRIVAL = DAWN + timedelta(hours=9)
DECIDER = DeploymentDecider()
CARGO = [
    PlannedLine(item_id="ramadan-basket", quantity=400),
    PlannedLine(item_id="flour-25kg", quantity=50),
]
ARRIVED = [
    PlannedLine(item_id="ramadan-basket", quantity=380),
    PlannedLine(item_id="flour-25kg", quantity=50),
]


def plan(**changes: object) -> PlanDeployment:
    """The convoy as the crisis coordinator plans it."""
    fields: dict[str, object] = {
        "deployment_id": CONVOY,
        "operation_id": OPERATION,
        "from_location_id": MARRAKECH,
        "to_location_id": AMIZMIZ,
        "lines": CARGO,
        "expected_hours": 12,
    }
    return PlanDeployment.model_validate(fields | changes)


def planned(**changes: object) -> DeploymentPlanned:
    """The event a plan records."""
    return DeploymentPlanned(**plan(**changes).model_dump())


def dispatch(convoy: str = CONVOY) -> MarkDispatched:
    return MarkDispatched(deployment_id=convoy, lines=CARGO, at=DAWN)


def deliver(convoy: str = CONVOY) -> MarkDelivered:
    return MarkDelivered(deployment_id=convoy, lines=ARRIVED, at=ARRIVAL)


def cancel(reason: str | None = "the road through Tizi n'Test is closed") -> CancelDeployment:
    return CancelDeployment(deployment_id=CONVOY, reason=reason)


def close(convoy: str = CONVOY) -> CloseDeployment:
    return CloseDeployment(deployment_id=convoy, reason="20 baskets short, reported to the police")


def fold(events: Iterable[Event]) -> Deployment:
    state = DECIDER.initial()
    for event in events:
        state = DECIDER.evolve(state, event)
    return state


def decide(past: list[Event], command: Command) -> list[Event]:
    """Decide one command given the facts already in the convoy's log."""
    return DECIDER.decide(fold(past), command, DAWN)


def story(*commands: Command) -> list[Event]:
    """The facts of commands decided one after the other, each accepted."""
    log: list[Event] = []
    for command in commands:
        log += decide(log, command)
    return log


def refusal(past: list[Event], command: Command) -> Refused:
    with pytest.raises(Refused) as refused:
        decide(past, command)
    assert refused.value.message
    return refused.value


# ---- the convoy's life ---------------------------------------------------------------------


def test_a_convoy_is_planned_then_dispatched_then_delivered() -> None:
    log = story(plan(), dispatch(), deliver())

    assert log == [
        planned(),
        DeploymentDispatched(deployment_id=CONVOY, dispatched=CARGO, dispatched_at=DAWN),
        DeploymentDelivered(deployment_id=CONVOY, delivered=ARRIVED, delivered_at=ARRIVAL),
    ]
    assert fold(log) == Deployment(status="delivered", plan=planned())


def test_a_planned_convoy_can_be_cancelled_with_its_reason() -> None:
    log = story(plan(), cancel())

    assert log[-1] == DeploymentCancelled(
        deployment_id=CONVOY, reason="the road through Tizi n'Test is closed"
    )
    assert fold(log).status == "cancelled"


# ---- refusals ------------------------------------------------------------------------------


def test_a_convoy_that_already_left_cannot_be_dispatched_again() -> None:
    log = story(plan(), dispatch())

    refused = refusal(log, dispatch())

    assert refused.code == "deployment_dispatched"
    assert refused.details == {"status": "dispatched"}


def test_a_cancelled_convoy_cannot_be_delivered() -> None:
    log = story(plan(), cancel())

    assert refusal(log, deliver()).code == "deployment_cancelled"


def test_a_convoy_on_the_road_cannot_be_cancelled() -> None:
    log = story(plan(), dispatch())

    assert refusal(log, cancel()).code == "deployment_dispatched"


def test_a_convoy_cannot_be_delivered_before_it_left() -> None:
    log = story(plan())

    assert refusal(log, deliver()).code == "deployment_planned"


def test_a_delivered_convoy_cannot_be_delivered_again_nor_cancelled() -> None:
    log = story(plan(), dispatch(), deliver())

    assert refusal(log, deliver()).code == "deployment_delivered"
    assert refusal(log, cancel()).code == "deployment_delivered"
    assert refusal(log, dispatch()).code == "deployment_delivered"


@pytest.mark.parametrize(
    "command", [dispatch("dep-ghost"), deliver("dep-ghost"), cancel(None), close("dep-ghost")]
)
def test_a_convoy_nobody_planned_is_unknown(command: Command) -> None:
    assert refusal([], command).code == "unknown_deployment"


# ---- planning again ------------------------------------------------------------------------


def test_the_same_plan_again_records_nothing() -> None:
    log = story(plan())

    assert decide(log, plan()) == []


def test_the_same_plan_again_after_dispatch_records_nothing_and_keeps_it_on_the_road() -> None:
    log = story(plan(), dispatch())

    assert decide(log, plan()) == []
    assert fold(log).status == "dispatched"


@pytest.mark.parametrize(
    "other",
    [
        {"to_location_id": "site-asni"},
        {"lines": [PlannedLine(item_id="ramadan-basket", quantity=500)]},
        {"operation_id": "op-inondations-2026"},
        {"expected_hours": 24},
    ],
)
def test_another_plan_under_the_same_id_is_refused(other: dict[str, object]) -> None:
    log = story(plan())

    refused = refusal(log, plan(**other))

    assert refused.code == "already_exists"


# ---- its delivery, carried by the delivery policy ------------------------------------------

LOTS = [TransferLine(item_id="ramadan-basket", lot="ATL-2026-A", quantity=400),
        TransferLine(item_id="flour-25kg", lot="FL-2026-03", quantity=50)]  # fmt: skip
UNLOADED = [ArrivedLine(item_id="ramadan-basket", quantity=380),
            ArrivedLine(item_id="flour-25kg", quantity=50)]  # fmt: skip


def start_delivery(convoy: str = CONVOY) -> StartDelivery:
    return StartDelivery(deployment_id=convoy, dispatched=LOTS, arrived=UNLOADED)


def test_a_convoy_on_the_road_starts_its_delivery_with_what_the_policy_needs() -> None:
    log = story(plan(), dispatch())

    assert decide(log, start_delivery()) == [
        DeploymentDeliveryStarted(deployment_id=CONVOY, from_location_id=MARRAKECH,
                                  to_location_id=AMIZMIZ, dispatched=LOTS, arrived=UNLOADED)
    ]  # fmt: skip
    assert fold(log + decide(log, start_delivery())).status == "delivering"


def test_a_delivery_under_way_is_not_started_twice_and_ends_delivered() -> None:
    log = story(plan(), dispatch(), start_delivery())

    assert decide(log, start_delivery()) == []
    assert refusal(log, cancel()).code == "deployment_delivering"
    assert fold(log + decide(log, deliver())).status == "delivered"


def test_a_delivery_the_site_refused_puts_the_convoy_back_on_the_road() -> None:
    log = story(plan(), dispatch(), start_delivery())
    abort = AbortDelivery(deployment_id=CONVOY, reason="more than dispatched",
                          error="more_than_dispatched")  # fmt: skip

    log += decide(log, abort)

    assert log[-1] == DeploymentDeliveryAborted(
        deployment_id=CONVOY, reason="more than dispatched", error="more_than_dispatched"
    )
    assert fold(log).status == "dispatched"
    assert refusal(log, abort).code == "deployment_dispatched"
    assert isinstance(decide(log, start_delivery())[0], DeploymentDeliveryStarted)


@pytest.mark.parametrize(
    ("past", "code"),
    [((), "deployment_planned"), ((cancel(),), "deployment_cancelled"),
     ((dispatch(), deliver()), "deployment_delivered")],
)  # fmt: skip
def test_only_a_convoy_on_the_road_starts_a_delivery(past: tuple[Command, ...], code: str) -> None:
    log = story(plan(), *past)

    assert refusal(log, start_delivery()).code == code


def test_a_plan_in_the_older_shape_still_waiting_in_the_topic_is_decided_the_same() -> None:
    """Before, the command carried the ready event under `plan`."""
    ready_event = {"type": "DeploymentPlanned"} | plan().model_dump()
    older = PlanDeployment.model_validate({"plan": ready_event})

    assert older == plan()
    assert decide([], older) == decide([], plan())


# ---- closing -------------------------------------------------------------------------------


def test_a_delivered_convoy_is_closed_with_its_reason() -> None:
    log = story(plan(), dispatch(), deliver(), close())

    assert log[-1] == DeploymentClosed(
        deployment_id=CONVOY, reason="20 baskets short, reported to the police"
    )
    assert fold(log) == Deployment(status="closed", plan=planned())


@pytest.mark.parametrize(
    ("past", "code"),
    [((), "deployment_planned"), ((dispatch(),), "deployment_dispatched"),
     ((dispatch(), start_delivery()), "deployment_delivering"),
     ((cancel(),), "deployment_cancelled"),
     ((dispatch(), deliver(), close()), "deployment_closed")],
)  # fmt: skip
def test_only_a_delivered_convoy_is_closed(past: tuple[Command, ...], code: str) -> None:
    log = story(plan(), *past)

    refused = refusal(log, close())

    assert (refused.code, refused.details["status"]) == (code, code.removeprefix("deployment_"))
    assert "closing needs it delivered" in refused.message


@pytest.mark.parametrize(
    "step", [dispatch(), deliver(), cancel(), close(), AbortDelivery(deployment_id=CONVOY,
                                                                     reason="late")]
)  # fmt: skip
def test_a_closed_convoy_takes_no_further_step(step: Command) -> None:
    log = story(plan(), dispatch(), deliver(), close())

    assert refusal(log, step).code == "deployment_closed"


def test_a_closed_convoy_starts_no_delivery_and_its_plan_again_records_nothing() -> None:
    log = story(plan(), dispatch(), deliver(), close())

    assert refusal(log, start_delivery()).code == "deployment_closed"
    assert decide(log, plan()) == []
    assert fold(log).status == "closed"


# ---- an operation that closed --------------------------------------------------------------

CLOSED_ON = date(2026, 3, 20)


def test_no_convoy_is_planned_for_an_operation_that_closed() -> None:
    refused = refusal([], plan(operation_closed_on=CLOSED_ON))

    assert (refused.code, refused.details) == ("operation_closed", {"closed_on": "2026-03-20"})
    assert OPERATION in refused.message


def test_a_convoy_planned_before_its_operation_closed_is_planned_again_as_a_repeat() -> None:
    log = story(plan())

    assert decide(log, plan(operation_closed_on=CLOSED_ON)) == []
    assert refusal(log, plan(expected_hours=24, operation_closed_on=CLOSED_ON)).code == (
        "already_exists"
    )


def test_a_convoy_of_an_operation_that_closed_still_goes_on_to_its_end() -> None:
    """The operation's writer and the convoy's are apart: closing tells planning only."""
    log = story(plan(), dispatch(), deliver(), close())

    assert [type(e) for e in log] == [
        DeploymentPlanned, DeploymentDispatched, DeploymentDelivered, DeploymentClosed,
    ]  # fmt: skip


def test_a_plan_for_an_open_operation_keeps_its_shape_on_the_wire() -> None:
    """Commands (and their digests) from before the operation could close stay the same."""
    assert "operation_closed_on" not in plan().model_dump(mode="json")
    assert plan(operation_closed_on=CLOSED_ON).model_dump(mode="json")["operation_closed_on"] == (
        "2026-03-20"
    )
