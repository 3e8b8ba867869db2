"""Hand-written fakes for the ports the domain talks to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from events import Envelope
from services.publisher import BrokerUnavailable, Position


class InMemoryPublisher:
    """Keeps published envelopes per stream; can pretend the broker is down."""

    def __init__(self) -> None:
        self.streams: dict[str, list[tuple[str, Envelope]]] = defaultdict(list)
        self.down = False

    def publish(self, stream: str, key: str, envelopes: Sequence[Envelope]) -> Position:
        if self.down:
            raise BrokerUnavailable("broker is down (fake)")
        self.streams[stream].extend((key, e) for e in envelopes)
        return Position(stream, 0, len(self.streams[stream]) - 1)

    def envelopes(self, stream: str) -> list[Envelope]:
        return [e for _, e in self.streams[stream]]
