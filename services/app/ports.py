"""What the use cases need from the process that runs them (the API wires the real ones)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy import Engine

from events import Actor
from services.app.kept_rows import KeptRows
from services.app.limits import RateLimit
from services.domain.commands import Command, CommandEnvelope, Reply
from services.domain.privacy import PersonalData
from services.runtime.settings import Settings


class Watch(Protocol):
    """The replies to commands someone else sends, as they go by."""

    async def next(self, timeout: float) -> Reply:
        """The next one, or BrokerUnavailable after `timeout` seconds."""
        ...


class CommandBus(Protocol):
    """Sends a command to its aggregate's single writer and returns the decision."""

    async def send(self, command: Command, envelope: CommandEnvelope) -> Reply: ...

    async def send_many(self, commands: Sequence[tuple[Command, CommandEnvelope]]) -> list[Reply]:
        """Several commands in one go: replies in the same order."""
        ...

    def watch(self, wants: Callable[[str], bool]) -> AbstractContextManager[Watch]:
        """Follow the replies to commands others send (ids for which `wants` is true)."""
        ...

    async def submit(self, command: Command, envelope: CommandEnvelope) -> None:
        """Send a command its writer never refuses (a record of what happened), written
        (acks=all) before returning, without waiting for its decision."""
        ...


class AuditTrail(Protocol):
    """Where reads of personal data are recorded: who, which household, how; never the data."""

    async def personal_data_read(self, actor: Actor, household_id: str, via: str) -> None:
        """Record the read before the data is shown (BrokerUnavailable when it cannot be)."""
        ...


class Ports(Protocol):
    """The command bus, the read models, the household key store and the settings, plus
    the newest position this process wrote per partition (to read its own writes), and a
    reader of the log by offset (for proofs)."""

    settings: Settings
    engine: Engine
    bus: CommandBus
    personal: PersonalData
    audit: AuditTrail
    lookups: RateLimit
    last_written: dict[tuple[str, int], int]
    reference: KeptRows  # locations, items and campaigns read a moment ago
    users: KeptRows  # the users behind bearer tokens, as read a moment ago

    def read_log(
        self, settings: Settings, topic: str, partition: int, first: int, last: int
    ) -> list[tuple[int, bytes | None]]:
        """The (offset, value) records of `topic[partition]` from `first` to `last`, in order;
        BrokerUnavailable when the log does not answer."""
        ...

    def partition_of(self, key: str) -> int:
        """The partition a record keyed `key` goes to, in any stream's topic (as the
        producers place it): which writer will decide a command."""
        ...
