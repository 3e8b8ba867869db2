"""Reading the log's events with their signatures checked, once per record.

A reader that projects, decides or reacts refuses an event whose signature is missing,
under an unknown key or wrong (events/signing.py): `read` raises UnverifiedEvent, an
UndecodableMessage, so the event is parked in the DLQ with its reason, like any message no
reader can use. The one exception is the one-time upgrade of a log written before events
were signed: `AID_ACCEPT_UNSIGNED_BEFORE` names, per stream, the end offset of each
partition when signing began; an unsigned event below it is accepted. Nobody can write below
an end offset any more, so the exception lets no new event in.

Records are decoded by pydantic (`decode`). `decode_hot` (events/hot_decode.py: msgspec
Structs first) gives the same results and can be passed instead; it measured no faster
(bench/RESULTS.md, "Hot decode path"): most of a decode is building the pydantic instances.
A reader for a projection that folds views (`Projection.reads_views`) builds none: it reads
the Structs themselves (`view`), and checks the signature on the bytes as written
(`LedgerKeys.written_by`); what `view` cannot read, or the bytes cannot prove, goes the
pydantic way, message by message.

Cost: one canonical dump of the message's JSON and one HMAC-SHA256 per record, about 3 µs
(bench/signing.py, on a shared 2-core machine); for a view of bytes as `LedgerKeys.written`
writes them, the HMAC alone.

The projectors of a process often read the same record: history and the registry both
project the households' and the distributions' events, the inventory and history the
stock's (as views, both). Those that check alike share what they read last (`RecentlyRead`),
so such a record is decoded and verified once (about 14 µs for a registration) while the others are
close enough behind: half the reads of the projectors' process during an import.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from typing import Any

import msgspec
from kafka.errors import KafkaTimeoutError

from events import Envelope, Event, decode
from events.hot_decode import view
from events.serialization import Verify, payload_of
from events.signing import UnverifiedEvent
from services.runtime.kafka_security import client_options
from services.runtime.settings import Settings
from services.runtime.topics import EVENT_STREAMS

Decoder = Callable[[bytes | None, Verify], tuple[Envelope, Event]]


Place = tuple[str, int, int]  # topic, partition, offset
RECENTLY_READ = 4096  # records per process and way of checking them


class RecentlyRead:
    """The records last decoded and verified by a process's readers that check alike, by
    place in the log. A place holds one record for good, but a topic deleted and made again
    may hold another there: what is found must be the same bytes too."""

    def __init__(self, size: int = RECENTLY_READ) -> None:
        self.size = size
        # in the order put; an OrderedDict drops its oldest in constant time, where a dict's
        # first key is found by stepping over every slot deleted before it
        self._read: OrderedDict[Place, tuple[bytes, Envelope, Event]] = OrderedDict()
        self._lock = threading.Lock()  # projectors decode in the loop and in threads

    def get(self, place: Place, raw: bytes) -> tuple[Envelope, Event] | None:
        found = self._read.get(place)
        if found is None or found[0] != raw:
            return None
        return found[1], found[2]

    def put(self, place: Place, raw: bytes, envelope: Envelope, event: Event) -> None:
        with self._lock:
            self._read[place] = (raw, envelope, event)
            if len(self._read) > self.size:
                self._read.popitem(last=False)  # the oldest


# Per way of checking (the keys trusted, the unsigned events accepted).
_shared: dict[tuple[Any, ...], RecentlyRead] = {}


class LogReader:
    """Decodes and verifies the records of the event topics."""

    def __init__(
        self,
        settings: Settings,
        decoder: Decoder = decode,
        share: bool = False,
        views: Collection[str] = (),
    ) -> None:
        """`share`: with the process's other sharing readers that check alike (projectors:
        they read the same records about together; other readers seldom do). `views`: the
        streams whose events it reads as Structs that read as their models where it can
        (`events.hot_decode.view`)."""
        self.keys = settings.ledger()
        self.decode = decoder  # or `decode_hot`, msgspec first: the same results
        self.views = frozenset(settings.topic(stream) for stream in views)
        self._unsigned_before = {
            settings.topic(stream): ends for stream, ends in settings.accept_unsigned_before.items()
        }
        checks = (
            tuple(sorted(self.keys.key_ids)),
            tuple(sorted((t, tuple(ends)) for t, ends in self._unsigned_before.items())),
        )
        self.recent = _shared.setdefault(checks, RecentlyRead()) if share else None

    def read(
        self, topic: str, partition: int, offset: int, raw: bytes | None
    ) -> tuple[Envelope, Event]:
        """The record's envelope and event; UndecodableMessage (UnverifiedEvent) says why not."""
        place = (topic, partition, offset)
        recent = self.recent
        viewing = topic in self.views
        known = recent.get(place, raw) if recent is not None and raw is not None else None
        # a view, where this reader reads models, is from a reader given views: read again
        if known is not None and (viewing or not isinstance(known[1], msgspec.Struct)):
            return known
        ends = self._unsigned_before.get(topic)
        if ends is not None and partition < len(ends) and offset < ends[partition]:
            verify = self._verify_if_signed
        else:
            verify = self.keys.verify
        viewed = view(raw) if viewing else None
        if viewed is None:
            envelope, event = self.decode(raw, verify)
        else:
            envelope, event = viewed
            if not self.keys.written_by(raw, envelope.key_id, envelope.signature):
                verify(payload_of(raw))
        if recent is not None:
            recent.put(place, raw, envelope, event)  # type: ignore[arg-type]
        return envelope, event

    def _verify_if_signed(self, payload: Mapping[str, Any]) -> None:
        if payload.get("signature") is not None or payload.get("key_id") is not None:
            self.keys.verify(payload)


def last_record(settings: Settings, topic: str, partition: int) -> bytes | None:
    """The value of a partition's last record, None when it has none (blocking)."""
    from kafka import KafkaConsumer, TopicPartition

    tp = TopicPartition(topic, partition)
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        request_timeout_ms=max(1000, int(settings.kafka_timeout_seconds * 1000)),
        enable_auto_commit=False,
        **client_options(settings),
    )
    try:
        consumer.assign([tp])
        end = consumer.end_offsets([tp])[tp]
        if end == 0:
            return None
        consumer.seek(tp, end - 1)
        deadline = time.monotonic() + settings.kafka_timeout_seconds
        while time.monotonic() < deadline:
            for record in consumer.poll(timeout_ms=500).get(tp, []):
                if record.offset == end - 1:
                    value: bytes | None = record.value
                    return value
        raise KafkaTimeoutError(f"the last record of {topic}[{partition}] did not come")
    finally:
        consumer.close()


def end_offsets(settings: Settings) -> dict[str, list[int]]:
    """Per event stream that holds events, the end offset of each partition now (blocking)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        request_timeout_ms=10000,
        **client_options(settings),
    )
    try:
        ends: dict[str, list[int]] = {}
        for stream in EVENT_STREAMS:
            topic = settings.topic(stream)
            tps = [
                TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            found = consumer.end_offsets(tps) if tps else {}
            if any(found.values()):
                ends[stream] = [found[tp] for tp in tps]
        return ends
    finally:
        consumer.close()


__all__ = ["LogReader", "RecentlyRead", "UnverifiedEvent", "end_offsets", "last_record"]
