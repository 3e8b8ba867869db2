"""The worker's Faust app, its consumer waiting at most `FETCH_WAIT_MS` for a fetch.

aiokafka leaves out of its next fetch every partition whose records are still buffered, and
keeps one fetch in flight per broker. Faust lets that fetch wait up to 1.5 s for data. So a
command arriving on a partition drained just after the fetch left waits until another
partition's data ends it, or 1.5 s: under load the deciders got nothing for about 1.2 s
every 2 s (bench/RESULTS.md). The broker answers a fetch as soon as it has data for it, so
this wait only bounds that stall; an idle worker pays one empty fetch per wait. The
deciders' log readers wait as long. (The API's reply listener keeps aiokafka's 500 ms: the
same wait there changed no figure of bench/commands.py.)
"""

from __future__ import annotations

from typing import Any

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TransportT

FETCH_WAIT_MS = 50


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # Read when the consumer starts (its fetcher is made then); Faust passes no setting.
        consumer._fetch_max_wait_ms = FETCH_WAIT_MS
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class WorkerApp(faust.App):
    """A Faust app on Kafka (aiokafka) whose consumer waits `FETCH_WAIT_MS` at most."""

    def _new_transport(self) -> TransportT:
        return _Transport(self.conf.broker_consumer, self)
