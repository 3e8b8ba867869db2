"""Where a command's milliseconds go: stage timestamps on a sampled fraction of commands.

The API marks one request in `command_timing_sample` that writes (always, with 1) and the bus
marks the command it sends for it (`CommandEnvelope.timed`). The decider stamps that command's
reply with when its batch was taken, when the batch's events were acknowledged by Kafka and
when the reply was sent; the bus notes when the reply was heard; the API answers with the
stages as durations in a `Server-Timing` header. Only durations and stage names leave the
process: nothing of what was asked.

Stamps are wall-clock seconds (`time.time()`) of two processes: on one machine they share a
clock; across machines, their skew lands in `to_decider` and `reply_back`.
"""

from __future__ import annotations

import itertools
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from services.domain.commands import Reply

# (stage, from stamp, to stamp), in the order a command goes through them
STAGES = (
    ("to_command", "received", "command_sent"),  # the API's work, the command written (acks=all)
    ("to_decider", "command_sent", "decider_took"),  # fetched by the decider, its batch filled
    ("decide", "decider_took", "events_acked"),  # catch-up, decisions, events acknowledged
    ("to_reply", "events_acked", "reply_sent"),  # the batch's replies before this one
    ("reply_back", "reply_sent", "reply_heard"),  # the reply written and read by the API
    ("answer", "reply_heard", "answered"),  # the request resumed and its response begun
    ("total", "received", "answered"),
)
HEADER = "Server-Timing"


@dataclass
class CommandTiming:
    """The stamps of one sampled request, filled in as it goes."""

    stamps: dict[str, float] = field(default_factory=lambda: {"received": time.time()})

    def stamp(self, name: str, at: float | None = None) -> None:
        self.stamps[name] = time.time() if at is None else at

    def header(self) -> str | None:
        """The stages as a `Server-Timing` value (milliseconds); None when the command's reply
        carried no stamps (it joined another request's message, or none was sent)."""
        if "decider_took" not in self.stamps:
            return None
        parts = [
            f"{name};dur={(self.stamps[end] - self.stamps[start]) * 1000:.2f}"
            for name, start, end in STAGES
            if start in self.stamps and end in self.stamps
        ]
        return ", ".join(parts)


# The timing of the request this task serves, when it is sampled.
current_timing: ContextVar[CommandTiming | None] = ContextVar("aid_command_timing", default=None)


class Sampler:
    """One in `every` (0: none): the first, then every `every`-th."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.count = itertools.count()

    def __call__(self) -> bool:
        return self.every > 0 and next(self.count) % self.every == 0


def stamped(reply: Reply, took: float, acked: float) -> Reply:
    """The decider's stamps on the reply to a timed command, sent now."""
    stages = {"decider_took": took, "events_acked": acked, "reply_sent": time.time()}
    return reply.model_copy(update={"stages": stages})


def parse(header: str) -> dict[str, float]:
    """Milliseconds per stage from a `Server-Timing` value."""
    stages = {}
    for part in header.split(","):
        name, _, duration = part.strip().partition(";dur=")
        if name and duration:
            stages[name] = float(duration)
    return stages
