"""When aid is distributed, the site's stock goes down: a policy from one stream to another.

Every AidDistributed event becomes a ConsumeForDistribution command for the
site's stock writer, with an id derived from the distribution, so a policy run
twice (at-least-once after a crash) still consumes the stock once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import faust
from aiokafka import AIOKafkaProducer

from events import Envelope, UndecodableMessage, decode
from events.households import AidDistributed
from services.commands import CommandEnvelope
from services.settings import Settings
from services.stock.commands import ConsumeForDistribution

log = logging.getLogger(__name__)
POLICY_BATCH = 500
POLICY_WITHIN = 0.005  # seconds a batch waits to fill


def consume_command(event: AidDistributed, envelope: Envelope) -> tuple[str, CommandEnvelope]:
    """The stock command (and its key) that follows from a distribution."""
    command = ConsumeForDistribution(
        distribution_id=event.distribution_id,
        site_id=event.site_id,
        item_id=event.item_id,
        quantity=event.quantity,
        campaign_id=event.campaign_id,
        region_code=event.region_code,
        province_code=event.province_code,
    )
    return command.aggregate_id, CommandEnvelope.of(
        command,
        event.distribution_id,
        envelope.actor,
        envelope.occurred_at,
        correlation_id=envelope.correlation_id,
    )


def install_distribution_policy(app: faust.App, settings: Settings) -> None:
    topic = app.topic(
        settings.topic("distributions"),
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
    )

    async def consume_site_stock(stream: faust.StreamT) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=1,
        )
        await producer.start()
        try:
            batches = stream.take(POLICY_BATCH, POLICY_WITHIN)
            async for values in batches:
                await send_consume_commands(producer, values)
        finally:
            await producer.stop()

    async def send_consume_commands(producer: AIOKafkaProducer, values: Sequence[bytes]) -> None:
        """Send a batch's commands together; the batch is acknowledged once all are."""
        sent = []
        for raw in values:
            try:
                envelope, event = decode(raw)
            except UndecodableMessage:
                continue  # parked by the projectors
            if isinstance(event, AidDistributed):
                key, command = consume_command(event, envelope)
                sent.append(
                    await producer.send(
                        settings.topic("stock-commands"),
                        command.model_dump_json().encode(),
                        key=key.encode(),
                    )
                )
        await asyncio.gather(*sent)

    app.agent(topic, name="consume-site-stock", concurrency=1)(consume_site_stock)
