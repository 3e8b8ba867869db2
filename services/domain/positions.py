"""Where an event landed in the log: a stream, a partition and an offset (no Kafka client here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Position:
    """Where an event landed: used by readers to wait for their own writes."""

    stream: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.stream}:{self.partition}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> Position:
        stream, partition, offset = text.rsplit(":", 2)
        return cls(stream, int(partition), int(offset))
