"""The single writer's bookkeeping: state folded from the log, and what each command produced.

`AggregateStore` is fed every event of its stream (in log order) and answers
commands: a command already decided gets its recorded outcome again; a new one
is decided by the pure decider and yields envelopes whose ids derive from the
command id and the aggregate, so deciding it twice produces the same bytes.

A command id is the client's id for one kind of command; idempotency is scoped by
aggregate as well, so the same client id at two locations is two commands (and two
sets of events) wherever their partitions lie, never one hiding the other.

`take`, `fold` and `answer` are the decision core the worker's runner and the
in-process bus of the tests share: the first decides one command (and remembers a
refusal), the writer publishes what it asks, the last turns it into the reply.

A batch command (`BatchCommand`: commands of one kind for aggregates of one partition) is
decided in one go by the decider's `decide_batch`; each of its commands is answered as it
would be alone, and its events are the ones it would have alone (same ids, same causation,
written under its own aggregate), so a retry of one of them alone finds them.
"""

from __future__ import annotations

import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from pydantic import ValidationError

from events import Envelope, Event
from events.serialization import event_id_for, wrap
from services.domain.commands import (
    BatchCommand,
    Command,
    CommandEnvelope,
    Lookup,
    RefusalRecord,
    Reply,
    Sender,
)
from services.domain.decisions import DomainError
from services.domain.positions import Position

S = TypeVar("S")
MAX_REMEMBERED_COMMANDS = 200_000

# (aggregate id, command id); the aggregate is None for a command that could not be read
# and for refusals recorded before idempotency was scoped by aggregate.
OutcomeKey = tuple[str | None, str]


class Decider(Protocol[S]):
    """Pure domain logic of one aggregate type."""

    event_stream: str
    command_stream: str
    commands: Mapping[str, type[Command]]

    def initial(self) -> S: ...

    def evolve(self, state: S, event: Event) -> S: ...

    def decide(self, state: S, command: Command, now: datetime) -> list[Event]: ...


class BatchDecider(Decider[S], Protocol[S]):
    """A decider that also decides the commands of a batch in one go, each on the state the
    ones before it left: their events, or why not, in order; and into `ended`, when given,
    the state it leaves each aggregate it gave events to (`decide_in_order`)."""

    def decide_batch(
        self,
        state_of: Callable[[str], S],
        commands: Sequence[Any],
        now: datetime,
        ended: dict[str, S] | None = None,
    ) -> list[list[Event] | DomainError]: ...


C = TypeVar("C", bound=Command)


def decide_in_order(
    state_of: Callable[[str], S],
    commands: Sequence[C],
    decide_one: Callable[[S, C], list[Event]],
    evolve: Callable[[S, Event], S],
    refusals: tuple[type[DomainError], ...] = (DomainError,),
    ended: dict[str, S] | None = None,
) -> list[list[Event] | DomainError]:
    """A batch's commands decided one after the other (a `decide_batch`): each by
    `decide_one` on the state its aggregate's commands before it in the batch left, its
    events or why not (one of `refusals`), in order. `ended` gets the state the batch leaves
    each aggregate it gave events to, so its writer need not fold them all again."""
    # Per aggregate met: its state before its last command's events, and those events, folded
    # only if the batch meets it again (most batches name each aggregate once).
    met: dict[str, tuple[S, list[Event]]] = {}
    changed: set[str] = set()  # the aggregates given events
    decided: list[list[Event] | DomainError] = []
    for command in commands:
        key = command.aggregate_id
        state = _folded(met[key], evolve) if key in met else state_of(key)
        try:
            events = decide_one(state, command)
        except refusals as refused:
            met[key] = (state, [])
            decided.append(refused)
            continue
        met[key] = (state, events)
        decided.append(events)
        if events:
            changed.add(key)
    if ended is not None:
        ended.update((key, _folded(met[key], evolve)) for key in changed)
    return decided


def _folded(met: tuple[S, list[Event]], evolve: Callable[[S, Event], S]) -> S:
    """A state with the events since it folded in."""
    state, since = met
    for event in since:
        state = evolve(state, event)
    return state


def each_in_order(
    decide: Callable[[S, Any, datetime], list[Event]], evolve: Callable[[S, Event], S]
) -> Callable[[Callable[[str], S], Sequence[Any], datetime], list[list[Event] | DomainError]]:
    """A `decide_batch` that decides each command of a batch with the writer's own `decide`,
    one after the other (`decide_in_order`), at the batch's time."""

    def decide_batch(
        state_of: Callable[[str], S],
        commands: Sequence[Any],
        now: datetime,
        ended: dict[str, S] | None = None,
    ) -> list[list[Event] | DomainError]:
        def decide_one(state: S, command: Any) -> list[Event]:
            return decide(state, command, now)

        return decide_in_order(state_of, commands, decide_one, evolve, ended=ended)

    return decide_batch


# What each command of a batch came to, as its batch's reply carries it.
ITEM_REPLY = {"command_id", "status", "replayed", "position", "error", "message", "details"}
ItemReply = dict[str, Any]  # ITEM_REPLY's fields, and `events` when the batch's carry them
OTHER_PARTITION = "this aggregate's writer is on another partition; send its command alone"


@dataclass
class Outcome:
    digest: str | None
    events: list[dict[str, Any]] = field(default_factory=list)
    position: Position | None = None
    refusal: Reply | None = None


@dataclass
class Decision:
    """What one command comes to: events to publish, or a reply that needs none (a
    replay, a refusal, a rejection); `refusal` is to be written to the refusals log."""

    command: CommandEnvelope
    events: list[tuple[Envelope, Event]] = field(default_factory=list)
    key: str = ""
    reply: Reply | None = None
    refusal: RefusalRecord | None = None
    aggregate_id: str | None = None
    # A batch: the aggregate each event is written under, and what each command came to.
    event_keys: list[str] | None = None
    items: list[ItemReply] | None = None
    # A batch: the states its events leave their aggregates in, already folded by its
    # decider (`fold` then folds none of them again).
    states: dict[str, Any] | None = None
    # A batch: each command's outcome key, and for those given events, the index of their
    # last one (where it lands is that command's position).
    item_keys: list[OutcomeKey] = field(default_factory=list)
    last_events: dict[int, int] = field(default_factory=dict)

    @property
    def outcome_key(self) -> OutcomeKey:
        return (self.aggregate_id, self.command.command_id)

    def record_key(self, index: int) -> str:
        """The key the decision's event `index` is written under: its command's aggregate."""
        return self.event_keys[index] if self.event_keys is not None else self.key


@dataclass
class AggregateStore(Generic[S]):
    """States per aggregate and outcomes per command, both folded from the event log."""

    decider: Decider[S]
    states: dict[str, S] = field(default_factory=dict)
    outcomes: OrderedDict[OutcomeKey, Outcome] = field(default_factory=OrderedDict)
    # The aggregates whose events `evolve` failed on, and where: their state is unknown, so
    # their commands are answered `failed` until the decider is mended (and the log refolded).
    unfolded: dict[str, str] = field(default_factory=dict)
    on_unfolded: Callable[[str, str], None] | None = None  # told (aggregate, fault) once

    def state(self, aggregate_id: str) -> S:
        if aggregate_id in self.unfolded:
            raise Unfolded(self.unfolded[aggregate_id])
        return self.states.get(aggregate_id) or self.decider.initial()

    def apply(
        self,
        envelope: Envelope,
        event: Event,
        position: Position | None = None,
        written_under: str | None = None,
    ) -> None:
        """Fold one event from the log. `written_under` is the aggregate of the command that
        decided it (the record's key), when it may differ from the event's own."""
        key = event.aggregate_id
        self._evolve(key, event)
        self._outcome_of(envelope, written_under or key, position)

    def _evolve(self, key: str, event: Event) -> None:
        """Fold the event into its aggregate; a fault in `evolve` stops that aggregate, not
        the writer (its other aggregates are decided as ever)."""
        if key in self.unfolded:
            return
        try:
            self.states[key] = self.decider.evolve(self.state(key), event)
        except Exception as exc:
            self.unfolded[key] = fault_of(exc)
            self.states.pop(key, None)
            if self.on_unfolded is not None:
                self.on_unfolded(key, self.unfolded[key])

    def _outcome_of(
        self, envelope: Envelope, written_under: str, position: Position | None
    ) -> None:
        """Remember the event in its command's outcome, for the replies to its retries."""
        outcome_key = (written_under, envelope.causation_id)
        outcome = self.outcomes.get(outcome_key)
        if outcome is None or outcome.refusal is not None:  # a refusal wrote nothing
            outcome = Outcome(envelope.command_digest)
            self._remember(outcome_key, outcome)
        outcome.events.append(public(envelope))
        outcome.position = position

    def apply_refusal(self, record: RefusalRecord) -> None:
        """Remember a refusal read back from the log, so a retry gets the same answer; never
        over events written under the same id (whichever of the two logs is read first)."""
        key = (record.aggregate_id, record.reply.command_id)
        written = self.outcomes.get(key)
        if written is None or written.refusal is not None:
            self._remember(key, Outcome(record.digest, refusal=record.reply))

    def _remember(self, key: OutcomeKey, outcome: Outcome) -> None:
        self.outcomes[key] = outcome
        if len(self.outcomes) > MAX_REMEMBERED_COMMANDS:
            self.outcomes.popitem(last=False)

    def take(
        self, command_envelope: CommandEnvelope, owns: Callable[[str], bool] | None = None
    ) -> Decision:
        """Decide one command on the folded state. A new refusal is remembered at once (a
        retry gets it again); the events are folded by `fold`, once the writer sends them.
        `owns` tells the aggregates this writer holds (a batch's others are rejected)."""
        if command_envelope.type == Lookup.TYPE:
            return Decision(command_envelope, reply=self._look_up(command_envelope))
        command_type = self.decider.commands.get(command_envelope.type)
        if command_type is not None and issubclass(command_type, BatchCommand):
            return self._take_batch(command_envelope, command_type, owns or _anywhere)
        aggregate_id, decided = self._decide(command_envelope)
        if not isinstance(decided, Reply):
            key = aggregate_id if decided and aggregate_id is not None else ""
            return Decision(command_envelope, decided, key=key, aggregate_id=aggregate_id)
        refusal = None
        if decided.status in ("refused", "rejected") and not decided.replayed:
            refusal = RefusalRecord(
                digest=command_envelope.digest(), reply=decided, aggregate_id=aggregate_id
            )
            self.apply_refusal(refusal)
        return Decision(command_envelope, reply=decided, refusal=refusal, aggregate_id=aggregate_id)

    def fold(self, decision: Decision) -> None:
        """Fold the decision's events ahead of the log (the next command may need them)."""
        if decision.states is not None:  # a batch's, folded as it was decided
            self.states.update(decision.states)
            for i, (envelope, _) in enumerate(decision.events):
                self._outcome_of(envelope, decision.record_key(i), None)
            return
        for i, (envelope, event) in enumerate(decision.events):
            under = decision.aggregate_id if decision.event_keys is None else decision.record_key(i)
            self.apply(envelope, event, written_under=under)

    def _take_batch(
        self,
        envelope: CommandEnvelope,
        command_type: type[BatchCommand],
        owns: Callable[[str], bool],
    ) -> Decision:
        """Each command of the batch answered from its earlier outcome, or decided with the
        batch's other new ones in one go; refusals are answered, not recorded (deciding the
        batch again decides them again)."""
        try:
            batch = command_type.model_validate(envelope.data)
        except ValidationError as exc:
            reply = Reply(command_id=envelope.command_id, status="rejected",
                          error="invalid_command",
                          message=f"{envelope.type} cannot be read: {exc}")  # fmt: skip
            return Decision(envelope, reply=reply)
        assert isinstance(batch, BatchCommand)
        items = [
            (_item(envelope, client_id, c, sender), c)
            for (client_id, c), sender in zip(batch.items(), batch.senders(), strict=True)
        ]
        replies: list[Reply | None] = [self._known(e, c, owns) for e, c in items]
        # A command the batch holds twice (one id, one aggregate) is decided once, its second
        # answered as it would be right after the first: the same answer, or the conflict.
        first: dict[OutcomeKey, int] = {}
        again: dict[int, int] = {}
        for n, ((item, command), answered) in enumerate(zip(items, replies, strict=True)):
            if answered is None:
                key = (command.aggregate_id, item.command_id)
                if key in first:
                    again[n] = first[key]
                first.setdefault(key, n)
        fresh = [items[n][1] for n in first.values()]  # in the batch's order
        decider: BatchDecider[S] = self.decider  # type: ignore[assignment]
        ended: dict[str, S] = {}
        decided: Iterator[list[Event] | DomainError | Exception]
        try:
            decided = iter(decider.decide_batch(self.state, fresh, envelope.issued_at, ended))
        except Exception as exc:  # a fault in the decider: none of the batch's new ones decided
            ended.clear()
            decided = iter([exc] * len(fresh))
        decision = Decision(envelope, key=batch.aggregate_id, aggregate_id=batch.aggregate_id,
                            event_keys=[], items=[], states=ended)  # fmt: skip
        with_events = command_type.ITEM_EVENTS
        answers: list[ItemReply] = []
        for n, ((item, command), known) in enumerate(zip(items, replies, strict=True)):
            if n in again:
                earlier = answers[again[n]]
                answers.append(_repeated(item, items[again[n]][0], earlier, with_events))
            elif known is None:
                written = len(decision.events)
                answers.append(self._decided(decision, item, command, next(decided), with_events))
                if len(decision.events) > written:
                    decision.last_events[n] = len(decision.events) - 1
            else:
                answers.append(_item_reply(known, with_events))
            decision.item_keys.append((command.aggregate_id, item.command_id))
        decision.items = answers
        if any(
            e.aggregate_id != k
            for (_, e), k in zip(decision.events, decision.event_keys or (), strict=True)
        ):
            decision.states = None  # an event of another aggregate than its command's: fold it
        return decision

    def _known(
        self, item: CommandEnvelope, command: Command, owns: Callable[[str], bool]
    ) -> Reply | None:
        """A batch's command answered without deciding it (another writer's, or decided
        before), or None."""
        if not owns(command.aggregate_id):
            return Reply(command_id=item.command_id, status="rejected", error="other_partition",
                         message=OTHER_PARTITION)  # fmt: skip
        previous = self._previous((command.aggregate_id, item.command_id))
        return (
            _replay(item, previous) if previous is not None and _answers(previous, item) else None
        )

    def _decided(
        self,
        decision: Decision,
        item: CommandEnvelope,
        command: Command,
        decided: list[Event] | DomainError | Exception,
        with_events: bool,
    ) -> ItemReply:
        """One command of a batch as decided: its events added to the batch's, its reply
        (with the events only `with_events`: only then does the batch's reply carry them)."""
        if isinstance(decided, Exception) and not isinstance(decided, DomainError):
            return _item_reply(failed(item.command_id, decided), with_events)
        if isinstance(decided, DomainError):
            refused = Reply(command_id=item.command_id, status=decided.kind, error=decided.code,
                            message=decided.message, details=decided.details)  # fmt: skip
            return _item_reply(refused, with_events)
        aggregate_id = command.aggregate_id
        occurred_at = _occurred_at(command, item.issued_at)
        digest = item.digest()
        written = [(_envelope(item, aggregate_id, event, i, occurred_at, digest), event)
                   for i, event in enumerate(decided)]  # fmt: skip
        decision.events.extend(written)
        decision.event_keys.extend(aggregate_id for _ in written)  # type: ignore[union-attr]
        # the reply `_item_reply` would make of it, without a Reply between
        accepted: ItemReply = {"command_id": item.command_id, "status": "accepted",
                               "replayed": not decided}  # fmt: skip
        if with_events:
            accepted["events"] = [public(envelope) for envelope, _ in written]
        return accepted | {"position": None, "error": None, "message": None, "details": {}}

    def placed(self, key: OutcomeKey, position: Position) -> None:
        """Note where the command's last event landed, for the replies to its retries."""
        if key in self.outcomes:
            self.outcomes[key].position = position

    def answer(
        self,
        decision: Decision,
        position: Position | None,
        placed: Sequence[Position] | None = None,
    ) -> Reply:
        """The reply, once the decision's writes are acknowledged; `position` is where its
        last event landed, `placed` where each of them did (when not given, the events are
        taken to have landed one after the other, up to `position`)."""
        cid = decision.command.command_id
        if decision.items is not None:
            if position is not None and placed is None:
                placed = _one_after_the_other(position, len(decision.events))
            self._place_items(decision, placed or [])
            return Reply(
                command_id=cid,
                status="accepted",
                replayed=not decision.events,
                position=str(position) if position and decision.events else None,
                details={"replies": decision.items},
            )
        if decision.reply is not None:
            previous = self._previous(decision.outcome_key)
            if decision.reply.replayed and decision.reply.status == "accepted" and previous:
                return _replay(decision.command, previous)  # now with its position
            return decision.reply
        if not decision.events:
            return Reply(command_id=cid, status="accepted", replayed=True)
        if position is not None:
            self.placed(decision.outcome_key, position)
        return Reply(
            command_id=cid,
            status="accepted",
            events=[public(envelope) for envelope, _ in decision.events],
            position=str(position) if position else None,
        )

    def _look_up(self, envelope: CommandEnvelope) -> Reply:
        """A Lookup's answer: in `details["found"]`, the reply a retry of each command it
        names would get, for those decided (nothing is decided here)."""
        try:
            asked = Lookup.model_validate(envelope.data)
        except ValidationError as exc:
            message = f"Lookup cannot be read: {exc}"
            return Reply(command_id=envelope.command_id, status="rejected",
                         error="invalid_command", message=message)  # fmt: skip
        found = {}
        for command_id in asked.command_ids:
            previous = self._previous((asked.aggregate, command_id))
            if previous is not None:
                found[command_id] = _recorded(command_id, previous).model_dump(mode="json")
        return Reply(command_id=envelope.command_id, status="accepted", replayed=True,
                     details={"found": found})  # fmt: skip

    def _place_items(self, decision: Decision, placed: Sequence[Position]) -> None:
        """Each accepted command of a batch answered with where its last event landed: its
        own, remembered for the replies to its retries, or the earlier request's it repeats
        (so a batch sent again answers the same)."""
        assert decision.items is not None
        for n, last in decision.last_events.items():
            outcome = self.outcomes.get(decision.item_keys[n])
            if outcome is not None and last < len(placed):
                outcome.position = placed[last]
        for item, key in zip(decision.items, decision.item_keys, strict=True):
            if item["status"] == "accepted" and item.get("position") is None:
                previous = self._previous(key)
                if previous is not None and previous.position is not None:
                    item["position"] = str(previous.position)

    def handle(self, command_envelope: CommandEnvelope) -> Reply | list[Envelope]:
        """A reply when nothing is to be written, else the envelopes to publish."""
        outcome = self.decide(command_envelope)
        return outcome if isinstance(outcome, Reply) else [envelope for envelope, _ in outcome]

    def _previous(self, key: OutcomeKey) -> Outcome | None:
        """What this command came to before, if anything: under its aggregate, or as one
        whose aggregate is not known (unreadable, or refused before scoping)."""
        return self.outcomes.get(key) or self.outcomes.get((None, key[1]))

    def forget(self) -> None:
        """Drop every state and outcome: the next fold starts again from the log."""
        self.states.clear()
        self.outcomes.clear()
        self.unfolded.clear()

    def decide(self, command_envelope: CommandEnvelope) -> Reply | list[tuple[Envelope, Event]]:
        """As `handle`, with each envelope's event, so a writer can fold what it publishes."""
        return self._decide(command_envelope)[1]

    def _decide(
        self, command_envelope: CommandEnvelope
    ) -> tuple[str | None, Reply | list[tuple[Envelope, Event]]]:
        """The command's aggregate (None when it cannot be read) and what it comes to."""
        cid = command_envelope.command_id
        try:
            command_type = self.decider.commands[command_envelope.type]
            command = command_type.model_validate(command_envelope.data)
        except (KeyError, ValidationError) as exc:
            previous = self.outcomes.get((None, cid))
            if previous is not None:
                return None, _replay(command_envelope, previous)
            return None, Reply(
                command_id=cid,
                status="rejected",
                error="invalid_command",
                message=f"{command_envelope.type} cannot be read: {exc}",
            )
        aggregate_id = command.aggregate_id
        previous = self._previous((aggregate_id, cid))
        if previous is not None and _answers(previous, command_envelope):
            return aggregate_id, _replay(command_envelope, previous)
        try:
            events = self.decider.decide(
                self.state(aggregate_id), command, command_envelope.issued_at
            )
        except DomainError as exc:
            return aggregate_id, Reply(
                command_id=cid,
                status=exc.kind,
                error=exc.code,
                message=exc.message,
                details=exc.details,
            )
        except Exception as exc:  # a fault in the decider: this command only, not the writer
            return aggregate_id, failed(cid, exc)
        occurred_at = _occurred_at(command, command_envelope.issued_at)
        digest = command_envelope.digest() if events else None
        return aggregate_id, [
            (_envelope(command_envelope, aggregate_id, event, i, occurred_at, digest), event)
            for i, event in enumerate(events)
        ]


def _anywhere(aggregate_id: str) -> bool:
    return True


def _item(
    batch: CommandEnvelope, client_id: str, command: Command, sender: Sender | None = None
) -> CommandEnvelope:
    """The envelope a batch's command would have had sent alone, by its own sender or the
    batch's."""
    sent_by = sender or batch
    return CommandEnvelope.model_validate(  # of checked values: faster than model_construct
        {
            "command_id": f"{command.TYPE}:{client_id}",
            "type": command.TYPE,
            "actor": sent_by.actor,
            "issued_at": sent_by.issued_at,
            "correlation_id": sent_by.correlation_id,
            "data": command.model_dump(mode="json"),
        }
    )


def _occurred_at(command: Command, otherwise: datetime) -> datetime:
    """When the command says what it records happened (an offline record), else `otherwise`.
    (Read from the instance's fields: a missing attribute costs pydantic an exception.)"""
    return command.__dict__.get("occurred_at") or otherwise


NOT_DECIDED = (
    "this command could not be decided (a fault in its writer, set aside for the operators); "
    "nothing was recorded, and sending it again once the fault is mended decides it"
)


def failed(command_id: str, exc: Exception) -> Reply:
    """The reply to a command its decider failed on: a fault, not a decision. Nothing is
    written or remembered, so asking again decides it anew. `details["fault"]` says where,
    for the operators, by the exception's kind and place, never its words (they may quote a
    value of the command)."""
    return Reply(
        command_id=command_id,
        status="failed",
        error="not_decided",
        message=NOT_DECIDED,
        details={"fault": fault_of(exc)},
    )


class Unfolded(Exception):
    """A command's aggregate whose events its decider could not fold: deciding on the state
    it has would decide on a state that is not the aggregate's."""

    def __init__(self, fault: str) -> None:
        super().__init__(fault)
        self.fault = fault


def fault_of(exc: BaseException) -> str:
    """`KeyError in decide_dispatch (stock/decider.py:120)`: the kind, and the innermost
    frame's function, file and line (for an aggregate not folded, where its fold failed)."""
    if isinstance(exc, Unfolded):
        return f"{exc.fault}, folding its aggregate's events"
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    place = "/".join(Path(last.filename).parts[-2:])
    return f"{type(exc).__name__} in {last.name} ({place}:{last.lineno})"


def _one_after_the_other(last: Position, count: int) -> list[Position]:
    """Where `count` events written in a row landed, the last at `last`."""
    return [
        Position(last.stream, last.partition, last.offset - (count - 1 - i)) for i in range(count)
    ]


def _item_reply(reply: Reply, with_events: bool) -> ItemReply:
    """A batch's command's reply as the batch's reply carries it."""
    return reply.model_dump(include=ITEM_REPLY | {"events"} if with_events else ITEM_REPLY)


def _repeated(
    item: CommandEnvelope, earlier: CommandEnvelope, answered: ItemReply, with_events: bool
) -> ItemReply:
    """A batch's command that an earlier one of the batch already is (one id, one aggregate):
    the earlier's answer when it asks the same, the conflict when it asks something else."""
    if item.digest() != earlier.digest():
        conflict = Reply(
            command_id=item.command_id,
            status="refused",
            error="idempotency_conflict",
            message="this id was already used for a different request; use a new id",
        )
        return _item_reply(conflict, with_events)
    return answered


def _answers(outcome: Outcome, command_envelope: CommandEnvelope) -> bool:
    """Whether what an id came to before answers this command: events written under it
    answer every request under it (the same again, or a conflict); a refusal wrote nothing,
    so it answers only its very request, and another one under its id is decided anew (a
    transfer's receipt corrected after one refused as more than was dispatched)."""
    return outcome.refusal is None or outcome.digest == command_envelope.digest()


def _replay(command_envelope: CommandEnvelope, outcome: Outcome) -> Reply:
    cid = command_envelope.command_id
    if outcome.digest is not None and outcome.digest != command_envelope.digest():
        return Reply(
            command_id=cid,
            status="refused",
            error="idempotency_conflict",
            message="this id was already used for a different request; use a new id",
        )
    return _recorded(cid, outcome)


def _recorded(cid: str, outcome: Outcome) -> Reply:
    """What the command came to, as a retry of that very request gets it."""
    if outcome.refusal is not None:
        return outcome.refusal.model_copy(update={"replayed": True})
    return Reply(
        command_id=cid,
        status="accepted",
        replayed=True,
        events=outcome.events,
        position=str(outcome.position) if outcome.position else None,
    )


def _envelope(
    command_envelope: CommandEnvelope,
    aggregate_id: str,
    event: Event,
    index: int,
    occurred_at: datetime,
    digest: str | None,
) -> Envelope:
    """The `index`-th event of a command in its envelope; `digest` is the command's."""
    return wrap(
        event,
        event_id=event_id_for(command_envelope.command_id, index, scope=aggregate_id),
        occurred_at=occurred_at,
        recorded_at=command_envelope.issued_at,
        actor=command_envelope.actor,
        correlation_id=command_envelope.correlation_id,
        causation_id=command_envelope.command_id,
        command_digest=digest,
    )


def public(envelope: Envelope) -> dict[str, Any]:
    return {"event_id": str(envelope.event_id), "type": envelope.type, "data": envelope.data}
