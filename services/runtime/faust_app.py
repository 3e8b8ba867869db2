"""The worker's Faust app: its consumer's fetch wait, and batches taken without a ticking timer.

**Fetch wait.** aiokafka leaves out of its next fetch every partition whose records are still
buffered, and keeps one fetch in flight per broker. Faust lets that fetch wait up to 1.5 s
for data. So a command arriving on a partition drained just after the fetch left waits until
another partition's data ends it, or 1.5 s: under load the deciders got nothing for about
1.2 s every 2 s (bench/RESULTS.md). The broker answers a fetch as soon as it has data for it,
so `FETCH_WAIT_MS` only bounds that stall; an idle worker pays one empty fetch per wait. The
deciders' log readers wait as long. (The API's reply listener keeps aiokafka's 500 ms: the
same wait there changed no figure of bench/commands.py.)

**Batches.** Faust's `noack_take(max_, within)` wakes every `within` seconds whether or not
anything came: with the 5 ms window they had then, each of the worker's agents woke 200
times a second, and an idle worker spent about 13% of a core doing so. `Stream.noack_take`
here waits for a batch's first event without a timer, then up to `within` for the rest (or
until `max_`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from typing import Any, cast

import aiokafka
import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import ChannelT, TransportT
from mode import Seconds, want_seconds
from mode.utils.aiter import aiter
from mode.utils.futures import notify

FETCH_WAIT_MS = 50


class Stream(faust.Stream):
    """Faust's stream, its batches taken without waking while none has begun."""

    async def noack_take(self, max_: int, within: Seconds) -> AsyncGenerator[Sequence[Any], None]:
        """Faust's `noack_take` (the events, acknowledged by the caller), but the window of
        `within` seconds opens at a batch's first event instead of ticking all the time."""
        buffer: list[Any] = []
        begun = asyncio.Event()  # the buffer holds a first event
        full = asyncio.Event()
        consumed = asyncio.Event()
        consuming: asyncio.Future[None] | None = None
        timeout = want_seconds(within) if within else None

        async def add_to_buffer(value: Any) -> Any:
            nonlocal consuming
            try:
                if consuming is not None:  # the batch before is being handed out
                    try:
                        await consuming
                    finally:
                        consuming = None
                event = self.current_event
                if event is None:
                    raise RuntimeError("Take buffer found current_event is None")
                buffer.append(event)
                begun.set()
                if len(buffer) >= max_:
                    full.set()
                    consumed.clear()
                    await self.wait(consumed)  # type: ignore[arg-type]
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.log.exception("Error adding to take buffer: %r", exc)
                await self.crash(exc)
            return value

        acks = self.enable_acks
        self.enable_acks = False  # the caller acknowledges each event once it is done
        self.add_processor(add_to_buffer)
        self._enable_passive(cast(ChannelT, aiter(self.channel)))
        try:
            while not self.should_stop:
                await self.wait_for_stopped(begun)  # type: ignore[arg-type]
                await self.wait_for_stopped(full, timeout=timeout)  # type: ignore[arg-type]
                if buffer:
                    consuming = self.loop.create_future()
                    try:
                        yield list(buffer)
                    finally:
                        buffer.clear()
                        notify(consuming)
                        full.clear()
                        begun.clear()
                        consumed.set()
        finally:
            self.enable_acks = acks
            self._processors.remove(add_to_buffer)


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
    """A Faust app on Kafka (aiokafka) whose consumer waits `FETCH_WAIT_MS` at most, and
    whose streams take batches with `Stream.noack_take` above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, Stream=Stream, **kwargs)

    def _new_transport(self) -> TransportT:
        return _Transport(self.conf.broker_consumer, self)
