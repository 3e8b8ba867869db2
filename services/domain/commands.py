"""Commands travel to their aggregate's single writer in an envelope; replies come back."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, Literal, TypeVar

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from events import Actor


def unsaid(value: Any) -> bool:
    """Whether a field added to a command after it was first sent is left out of its
    serialized form: while it holds nothing (None, or an empty list), the command keeps the
    shape, and so the digest, it always had, and a retry across that change is the same
    request. (`Field(exclude_if=unsaid)`: a wrapping serializer would cost every dump of the
    model several microseconds.)"""
    return value is None or value == []


class Command(BaseModel):
    """An imperative request to one aggregate (`ReceiveStock`, `DispatchTransfer`…)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str]
    STREAM: ClassVar[str]

    @property
    def aggregate_id(self) -> str:
        raise NotImplementedError


class Lookup(Command):
    """What a writer recorded for some commands of an aggregate (a flow's steps, asked by the
    request that started the flow when it is sent again): each one's reply, as its retry
    would get it. Nothing is decided; a command not decided yet is left out. Sent to a
    stream's writer as `lookup_on(stream)`."""

    TYPE: ClassVar[str] = "Lookup"

    aggregate: str = Field(min_length=1, max_length=64)
    command_ids: list[str] = Field(min_length=1, max_length=10)

    @property
    def aggregate_id(self) -> str:
        return self.aggregate


_LOOKUPS: dict[str, type[Lookup]] = {}


def lookup_on(stream: str) -> type[Lookup]:
    """The Lookup a stream's writer answers (one class per command stream)."""
    if stream not in _LOOKUPS:
        _LOOKUPS[stream] = type("Lookup", (Lookup,), {"STREAM": stream})
    return _LOOKUPS[stream]


class Sender(BaseModel):
    """Who asked one command of a batch, when, and in which flow: a batch gathering commands
    of several causes (a policy's) carries each one's, so that command's events are the ones
    it would have had alone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor
    issued_at: AwareDatetime
    correlation_id: str


class BatchCommand(Command):
    """Commands of one kind for aggregates of one partition, sent and decided together
    (the decider's `decide_batch`); each answered as it would be alone, under its own id."""

    # Whether each command's answer in the batch's reply carries its events, as its reply
    # alone would (when its sender reads its outcome from them), or only its status.
    ITEM_EVENTS: ClassVar[bool] = False

    @property
    def aggregate_id(self) -> str:
        """The first item's aggregate: the batch travels on its partition, which is every
        item's (the sender groups them so)."""
        return self.items()[0][1].aggregate_id

    def items(self) -> Sequence[tuple[str, Command]]:
        """Each command with the client id it would be sent under on its own."""
        raise NotImplementedError

    def senders(self) -> Sequence[Sender | None]:
        """Each command's own sender, in `items`' order; None where it is the batch's."""
        return [None] * len(self.items())


C = TypeVar("C", bound=Command)


class Caused(BaseModel, Generic[C]):
    """One command of a `GatheredCommand`: the command, the client id it has alone (derived
    from the event that caused it) and its own sender."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str
    sender: Sender
    command: C


class GatheredCommand(BatchCommand):
    """Commands of one kind (`ONE`) that a policy asks of the writers of one partition,
    gathered from a batch of events: each decided as it would be alone, under the id and
    sender it has alone. Each kind declares `gathered` as a list of `Caused[ONE]`. Its
    writer decides the batch at one time (the first one's): a kind is gathered only when
    its decision does not depend on that time (a consumption, an offer)."""

    ONE: ClassVar[type[Command]]
    MAX: ClassVar[int]  # commands per message: it and its reply stay far under Kafka's 1 MB

    gathered: Sequence[Caused[Any]]

    def items(self) -> Sequence[tuple[str, Command]]:
        return [(c.client_id, c.command) for c in self.gathered]

    def senders(self) -> Sequence[Sender | None]:
        return [c.sender for c in self.gathered]


def batch_id(batch: BatchCommand) -> str:
    """The batch's client id, from its members' ids: the same members sent again (a resend, a
    resumed import, an offline sync or a policy's reaction again) make the same command."""
    return id_of_many(client_id for client_id, _ in batch.items())


def id_of_many(ids: Iterable[str]) -> str:
    """A client id for what several commands make together, derived from their ids."""
    joined = "\n".join(ids).encode()
    return f"batch-{hashlib.blake2b(joined, digest_size=12).hexdigest()}"


class CommandEnvelope(BaseModel):
    """A command on the wire. `command_id` is unique per command type and client id.

    `reply_to` is a token of the request that sent this message (optional): the decider
    echoes it in its reply, so the reply reaches that request and no other, whatever id
    another client chose. It is not part of what is asked (not in `digest`)."""

    model_config = ConfigDict(frozen=True)

    command_id: str
    type: str
    actor: Actor
    issued_at: AwareDatetime
    correlation_id: str
    data: dict[str, Any]
    reply_to: str | None = None
    # Stamp this command's stages (services/runtime/command_timing.py); not part of what is
    # asked either.
    timed: bool = False

    @classmethod
    def of(
        cls,
        command: Command,
        client_id: str,
        actor: Actor,
        issued_at: Any,
        correlation_id: str | None = None,
    ) -> CommandEnvelope:
        command_id = f"{command.TYPE}:{client_id}"
        return cls(
            command_id=command_id,
            type=command.TYPE,
            actor=actor,
            issued_at=issued_at,
            correlation_id=correlation_id or command_id,
            data=command.model_dump(mode="json"),
        )

    def digest(self) -> str:
        """A fingerprint of what is asked, to tell a retry from a different command."""
        body = orjson.dumps({"type": self.type, "data": self.data}, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(body).hexdigest()[:32]


class Reply(BaseModel):
    """The decision: accepted with its events and position, or refused/rejected with why;
    `failed` when the decider faulted on it (nothing written; asking again decides anew).

    `reply_to` echoes the command message's token (absent when the message had none)."""

    command_id: str
    status: Literal["accepted", "refused", "rejected", "failed"]
    replayed: bool = False
    events: list[dict[str, Any]] = Field(default_factory=list)
    position: str | None = None
    error: str | None = None
    message: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    reply_to: str | None = None
    # When the decider took the command's batch, had its events acknowledged and sent this
    # reply (epoch seconds); only for a timed command.
    stages: dict[str, float] | None = None


class RefusalRecord(BaseModel):
    """A refusal kept in the decider's own log, so that deciding again gives the same answer."""

    digest: str
    reply: Reply
    aggregate_id: str | None = None  # absent in records written before it was kept
