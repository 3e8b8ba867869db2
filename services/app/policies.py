"""The worker's reactions to events: each sends what a domain policy asks, and awaits it.

A reaction is a function `(bus, envelope, event)`. The worker runs them on the events of one
stream (`services.runtime.policies`); the API's unit tests run the same functions in-process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from events import Envelope, Event
from events.households import HouseholdProfileUpdated, HouseholdRegistered
from events.relief import (
    CashDonationReceived,
    DeploymentDeliveryStarted,
    DeploymentDispatchStarted,
    DonationReceived,
    PurchaseRecorded,
)
from events.requisitions import RequisitionApproved
from events.stock import TransferCancelled, TransferDispatched, TransferReceived
from services.app.ports import CommandBus, Watch
from services.domain.commands import Reply
from services.domain.policies import (
    convoys,
    donations,
    pledges,
    purchases,
    requisitions,
    slots,
    transfers,
)

Reaction = Callable[[CommandBus, Envelope, Any], Awaitable[None]]


async def dispatch_convoy(
    bus: CommandBus, envelope: Envelope, event: DeploymentDispatchStarted
) -> None:
    """Take the convoy's stock, then record whether it left."""
    take = convoys.take_stock(event, envelope)
    if take is not None:
        taken = await bus.send(*take)
        await bus.send(*convoys.record_dispatch(event, envelope, taken))


async def deliver_convoy(
    bus: CommandBus, envelope: Envelope, event: DeploymentDeliveryStarted
) -> None:
    """Receive the convoy's stock at its site, then record whether it was delivered."""
    received = await bus.send(*convoys.receive_stock(event, envelope))
    await bus.send(*convoys.record_delivery(event, envelope, received))


async def receive_donation(bus: CommandBus, envelope: Envelope, event: DonationReceived) -> None:
    """Receive the donation's stock (and wait for the warehouse to have recorded it)."""
    receipt = donations.receive_stock(event, envelope)
    if receipt is not None:
        await bus.send(*receipt)


async def fulfil_pledge(
    bus: CommandBus, envelope: Envelope, event: DonationReceived | CashDonationReceived
) -> None:
    """Count the donation towards the pledge it names (if any)."""
    fulfilment = pledges.fulfil(event, envelope)
    if fulfilment is not None:
        await bus.send(*fulfilment)


async def receive_donation_and_fulfil(
    bus: CommandBus, envelope: Envelope, event: DonationReceived
) -> None:
    """Receive the goods, then count them towards their pledge."""
    await receive_donation(bus, envelope, event)
    await fulfil_pledge(bus, envelope, event)


async def receive_purchase(bus: CommandBus, envelope: Envelope, event: PurchaseRecorded) -> None:
    """Receive what a cash donation bought, as a lot that carries the donation."""
    await bus.send(*purchases.receive_stock(event, envelope))


async def return_cancelled_transfer(
    bus: CommandBus, envelope: Envelope, event: TransferCancelled
) -> None:
    """Put the cancelled transfer's lots back at its origin (and wait for it)."""
    await bus.send(*transfers.return_stock(event, envelope))


async def dispatch_requisition(
    bus: CommandBus, envelope: Envelope, event: RequisitionApproved
) -> None:
    """Dispatch the approved lines from the supplier, or plan their convoy; record a refusal
    on the requisition."""
    answer = await bus.send(*requisitions.carry(event, envelope))
    refusal = requisitions.record_refusal(event, envelope, answer)
    if refusal is not None:
        await bus.send(*refusal)


async def record_requisition_dispatch(
    bus: CommandBus, envelope: Envelope, event: TransferDispatched
) -> None:
    """A requisition's transfer left: record it on the requisition."""
    recorded = requisitions.record_dispatch(event, envelope)
    if recorded is not None:
        await bus.send(*recorded)


async def record_requisition_receipt(
    bus: CommandBus, envelope: Envelope, event: TransferReceived
) -> None:
    """A requisition's transfer arrived: record what was received on the requisition."""
    recorded = requisitions.record_receipt(event, envelope)
    if recorded is not None:
        await bus.send(*recorded)


async def offer_to_site(
    bus: CommandBus, envelope: Envelope, event: HouseholdRegistered | HouseholdProfileUpdated
) -> None:
    """Tell the household's site it is expected there (an offer is never refused: written,
    not awaited)."""
    for command in slots.offer_to_site(event, envelope):
        await bus.submit(*command)


REACTIONS: Mapping[str, Mapping[type[Event], Reaction]] = {
    "deployments": {
        DeploymentDispatchStarted: dispatch_convoy,
        DeploymentDeliveryStarted: deliver_convoy,
    },
    "donations": {
        DonationReceived: receive_donation_and_fulfil,
        CashDonationReceived: fulfil_pledge,
        PurchaseRecorded: receive_purchase,
    },
    "stock": {
        TransferCancelled: return_cancelled_transfer,
        TransferDispatched: record_requisition_dispatch,
        TransferReceived: record_requisition_receipt,
    },
    "requisitions": {RequisitionApproved: dispatch_requisition},
    "households": {HouseholdRegistered: offer_to_site, HouseholdProfileUpdated: offer_to_site},
}
"""The reactions run this way, by the stream whose events they follow."""


async def follow(
    watch: Watch, steps: convoys.Steps, start_event_id: str | None, timeout: float
) -> tuple[Reply | None, Reply]:
    """A convoy flow's stock answer (if seen) and its final one, for one start (or for
    whichever is under way when `start_event_id` is None); BrokerUnavailable after `timeout`."""
    stock: Reply | None = None
    while True:
        reply = await watch.next(timeout)
        if start_event_id is not None and not reply.command_id.endswith(f":{start_event_id}"):
            continue  # an earlier start's step, replayed
        if reply.command_id.startswith(f"{steps.stock}:"):
            stock = reply
        else:
            return stock, reply
