"""Stories of the delivery policy: a convoy of Ramadan baskets reaches Amizmiz.

Pure: given the start of a delivery (the convoy's event in its envelope), the receipt the
site's stock writer is asked for; given the site's answer, what the deployment's writer is
asked to record. No bus, no Kafka.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from events import Actor, Envelope
from events.relief import ArrivedLine, DeploymentDeliveryStarted, PlannedLine
from events.serialization import event_id_for, wrap
from events.stock import TransferLine
from services.domain.commands import Reply
from services.domain.deployments.decider import AbortDelivery, MarkDelivered
from services.domain.policies.convoys import DELIVERY, receive_stock, record_delivery
from services.domain.stock.commands import ReceiveTransfer

CONVOY, MARRAKECH, AMIZMIZ = "dep-al-haouz-01", "wh-marrakech", "site-amizmiz"
BASKETS, FLOUR = "ramadan-basket", "flour-25kg"
UNLOADED = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
COORDINATOR = Actor(user_id="fatima.coordinator", role="coordinator")
START_ID = event_id_for("StartDelivery:dep-al-haouz-01:7f1c", 0)
LOTS = [
    TransferLine(item_id=BASKETS, lot="ATL-2026-A", expires_on=date(2026, 12, 31), quantity=300),
    TransferLine(item_id=BASKETS, lot="CRM-2026-A", expires_on=date(2027, 6, 30), quantity=100),
    TransferLine(item_id=FLOUR, lot="FL-2026-03", quantity=50),
]


def started(
    *arrived: tuple[str, int], event_id: UUID = START_ID
) -> tuple[DeploymentDeliveryStarted, Envelope]:
    """The convoy's start of delivery, as the deployment's writer recorded it."""
    event = DeploymentDeliveryStarted(
        deployment_id=CONVOY,
        from_location_id=MARRAKECH,
        to_location_id=AMIZMIZ,
        dispatched=LOTS,
        arrived=[ArrivedLine(item_id=i, quantity=q) for i, q in arrived],
    )
    envelope = wrap(
        event,
        event_id=event_id,
        occurred_at=UNLOADED,
        recorded_at=UNLOADED,
        actor=COORDINATOR,
        correlation_id="corr-convoy-01",
        causation_id="StartDelivery:dep-al-haouz-01:7f1c",
    )
    return event, envelope


def answer(status: str = "accepted", error: str | None = None, message: str | None = None) -> Reply:
    return Reply.model_validate(
        {"command_id": "ReceiveTransfer:x", "status": status, "error": error, "message": message}
    )


def test_a_start_of_delivery_asks_the_site_to_receive_what_arrived_by_item() -> None:
    event, envelope = started((BASKETS, 250), (BASKETS, 130), (FLOUR, 0))

    command, sent = receive_stock(event, envelope)

    assert command == ReceiveTransfer(
        transfer_id=CONVOY,
        from_location_id=MARRAKECH,
        to_location_id=AMIZMIZ,
        dispatched=LOTS,
        received={BASKETS: 380, FLOUR: 0},
        deployment_id=CONVOY,
    )
    assert sent.command_id == f"ReceiveTransfer:{CONVOY}:{START_ID}"
    assert (sent.actor, sent.issued_at, sent.correlation_id) == (
        COORDINATOR, UNLOADED, "corr-convoy-01",
    )  # fmt: skip


def test_the_same_start_gives_the_same_receipt_and_another_start_another_id() -> None:
    again = receive_stock(*started((BASKETS, 380)))
    other_start = event_id_for("StartDelivery:dep-al-haouz-01:9a2e", 0)

    other = receive_stock(*started((BASKETS, 380), event_id=other_start))

    assert receive_stock(*started((BASKETS, 380))) == again
    assert other[1].command_id == f"ReceiveTransfer:{CONVOY}:{other_start}"
    assert other[1].digest() == again[1].digest()


def test_stock_received_at_the_site_marks_the_convoy_delivered_with_what_arrived() -> None:
    event, envelope = started((BASKETS, 380), (FLOUR, 0))

    command, sent = record_delivery(event, envelope, answer())

    assert command == MarkDelivered(
        deployment_id=CONVOY, lines=[PlannedLine(item_id=BASKETS, quantity=380)], at=UNLOADED
    )
    assert sent.command_id == f"MarkDelivered:{CONVOY}:{START_ID}"


def test_a_transfer_already_received_at_the_site_marks_the_convoy_delivered() -> None:
    event, envelope = started((BASKETS, 400))

    command, _ = record_delivery(event, envelope, answer("refused", "already_received", "done"))

    assert isinstance(command, MarkDelivered)


def test_more_than_dispatched_puts_the_convoy_back_on_the_road_with_the_sites_reason() -> None:
    event, envelope = started((BASKETS, 420))
    why = "received 420 of 'ramadan-basket' but only 400 were dispatched"

    command, sent = record_delivery(
        event, envelope, answer("rejected", "more_than_dispatched", why)
    )

    assert command == AbortDelivery(deployment_id=CONVOY, reason=why, error="more_than_dispatched")
    assert sent.command_id == f"AbortDelivery:{CONVOY}:{START_ID}"


def test_the_route_watches_the_policys_steps_for_its_convoy_only() -> None:
    wanted = DELIVERY.of(CONVOY)

    assert wanted(f"ReceiveTransfer:{CONVOY}:{START_ID}")
    assert wanted(f"MarkDelivered:{CONVOY}:{START_ID}")
    assert wanted(f"AbortDelivery:{CONVOY}:{START_ID}")
    assert not wanted(f"ReceiveTransfer:{CONVOY}")  # a receipt through the stock route
    assert not wanted(f"MarkDelivered:dep-al-haouz-010:{START_ID}")
    assert not wanted(f"DispatchTransfer:{CONVOY}:{START_ID}")
