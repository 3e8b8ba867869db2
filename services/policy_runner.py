"""Runs the policies that carry a flow from one aggregate's writer to another's in the worker.

A policy is a function `(bus, envelope, event)` that sends commands (ids derived from the
event) and may await their decisions. The runner feeds it the events of one stream in
batches, reacting to a batch's events together; the batch is acknowledged only once every
reaction is done, so after a crash the events are reacted to again, and get the decisions
already recorded. The same functions run in-process in the API's unit tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import faust

from events import Envelope, Event, UndecodableMessage, decode
from services.command_bus import CommandBus, KafkaCommandBus
from services.publisher import BrokerUnavailable, KafkaEventPublisher
from services.settings import Settings

log = logging.getLogger(__name__)
Reaction = Callable[[CommandBus, Envelope, Any], Awaitable[None]]
POLICY_BATCH = 500
POLICY_WITHIN = 0.005  # seconds a batch waits to fill
RETRY_SECONDS = 1.0


async def react(bus: CommandBus, reactions: Mapping[type[Event], Reaction], raw: bytes) -> None:
    """React to one message of the stream, retrying while no decision comes back."""
    try:
        envelope, event = decode(raw)
    except UndecodableMessage:
        return  # parked by the projectors
    reaction = reactions.get(type(event))
    while reaction is not None:
        try:
            await reaction(bus, envelope, event)
            return
        except BrokerUnavailable as exc:
            log.warning(
                "%s %s: no decision yet (%s); asking again", event.TYPE, envelope.event_id, exc
            )
            await asyncio.sleep(RETRY_SECONDS)


def install_policy(
    app: faust.App,
    settings: Settings,
    stream: str,
    name: str,
    reactions: Mapping[type[Event], Reaction],
) -> None:
    """Add the agent that runs `reactions` on the events of `stream` to the worker app."""
    topic = app.topic(
        settings.topic(stream),
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
    )

    async def run_policy(events: faust.StreamT) -> None:
        publisher = KafkaEventPublisher(settings)
        bus = KafkaCommandBus(settings, publisher)
        await bus.start()
        try:
            async for values in events.take(POLICY_BATCH, POLICY_WITHIN):
                await react_to_batch(bus, values)
        finally:
            await bus.stop()
            publisher.close()

    async def react_to_batch(bus: CommandBus, values: Sequence[bytes]) -> None:
        await asyncio.gather(*(react(bus, reactions, raw) for raw in values))

    app.agent(topic, name=name, concurrency=1)(run_policy)


def policies() -> dict[str, Mapping[type[Event], Reaction]]:
    """The reactions of every policy run this way, by the stream whose events they follow."""
    from events.relief import (
        DeploymentDeliveryStarted,
        DeploymentDispatchStarted,
        DonationReceived,
    )
    from services.delivery_policy import deliver_convoy
    from services.deployment_policy import dispatch_convoy
    from services.donation_policy import receive_donation

    return {
        "deployments": {
            DeploymentDispatchStarted: dispatch_convoy,
            DeploymentDeliveryStarted: deliver_convoy,
        },
        "donations": {DonationReceived: receive_donation},
    }


def install_policies(app: faust.App, settings: Settings) -> None:
    """The worker's policies (none when `settings.policies` is off)."""
    if not settings.policies:
        log.warning("policies are off in this worker: flows across aggregates will wait")
        return
    for stream, reactions in policies().items():
        install_policy(app, settings, stream, f"policy-{stream}", reactions)
