"""An offline sync's records decided a partition at a time: one `RecordDistributions`
carrying the records of the households of one partition, decided in one go by the
distributions' writer, each record as it would be alone (same refusals, same events under
the same ids and keys), each household's records in the batch's order."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from events import Actor, Event
from events.households import CampaignOpened, DuplicateDistributionFlagged
from services.app.distributions import _decisions, _result
from services.app.import_batches import record_batches
from services.app.kept_rows import REFERENCE, USERS, KeptRows
from services.app.permissions import User
from services.domain.commands import CommandEnvelope, Reply, batch_id
from services.domain.deciding import AggregateStore, Decision
from services.domain.decisions import DomainError, Rejected
from services.domain.distributions.commands import (
    MAX_RECORDS,
    RecordDistribution,
    RecordDistributions,
)
from services.domain.distributions.decider import (
    DistributionDecider,
    HouseholdAid,
    decide_distribution,
    decide_distributions,
    evolve,
)
from services.domain.positions import Position
from services.runtime.partitioning import partition_for

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MORNING = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
AGENT = Actor(user_id="ilham-agent", role="agent")
AMINA, BRAHIM, CHAMA = ("p" + c * 40 for c in "abc")
HOUSEHOLDS = {AMINA: "hh-amina", BRAHIM: "hh-brahim", CHAMA: "hh-chama"}


def ramadan(entitlement: int = 1, **rules: Any) -> CampaignOpened:
    return CampaignOpened(
        campaign_id="ramadan-2026", name="Ramadan 2026", item_id="ramadan-basket",
        quantity_per_household=entitlement, starts_on=date(2026, 2, 18),
        ends_on=date(2026, 3, 31), **rules,
    )  # fmt: skip


def handed(
    distribution_id: str, identity: str, campaign: CampaignOpened | None = None, **more: Any
) -> RecordDistribution:
    """A basket handed in the field, synced later."""
    return RecordDistribution(
        distribution_id=distribution_id, household_id=HOUSEHOLDS[identity], identity=identity,
        campaign=campaign or ramadan(), region_code="MA07", province_code="MA0701",
        groups=["children"], precarity_score=42.0, site_id="site-asni", quantity=1,
        occurred_at=MORNING, offline=True,
    ).model_copy(update=more)  # fmt: skip


def nothing_yet(identity: str) -> HouseholdAid:
    return HouseholdAid()


def one_by_one(
    state_of: Any, records: list[RecordDistribution]
) -> list[list[Event] | tuple[str, str, str]]:
    """Each record decided alone, one after the other, on what the ones before it recorded."""
    states: dict[str, HouseholdAid] = {}
    decided: list[list[Event] | tuple[str, str, str]] = []
    for record in records:
        state = states.get(record.identity) or state_of(record.identity)
        try:
            events = decide_distribution(state, record, NOW)
        except DomainError as error:
            decided.append((error.kind, error.code, error.message))
            continue
        for event in events:
            state = evolve(state, event)
        states[record.identity] = state
        decided.append(events)
    return decided


def plainly(decided: list[list[Event] | DomainError]) -> list[list[Event] | tuple[str, str, str]]:
    return [(d.kind, d.code, d.message) if isinstance(d, DomainError) else d for d in decided]


def kinds(decided: list[list[Event] | DomainError]) -> list[str]:
    return [d.code if isinstance(d, DomainError) else "+".join(e.TYPE for e in d) for d in decided]


# ---- the pure decision ---------------------------------------------------------------------


def test_a_household_twice_in_one_batch_the_second_basket_is_flagged_naming_the_first() -> None:
    records = [handed("d-1", AMINA), handed("d-2", BRAHIM), handed("d-3", AMINA)]

    decided = decide_distributions(nothing_yet, records, NOW)

    assert kinds(decided) == ["AidDistributed", "AidDistributed", "DuplicateDistributionFlagged"]
    [flagged] = decided[2]  # type: ignore[misc]
    assert isinstance(flagged, DuplicateDistributionFlagged)
    assert (flagged.first_distribution_id, flagged.already_received) == ("d-1", 1)
    assert plainly(decided) == one_by_one(nothing_yet, records)


def test_the_entitlement_runs_out_inside_the_batch_in_the_batch_s_order() -> None:
    two = ramadan(entitlement=2)
    records = [handed("d-1", AMINA, two), handed("d-2", CHAMA, two), handed("d-3", AMINA, two),
               handed("d-4", AMINA, two), handed("d-5", CHAMA, two)]  # fmt: skip

    decided = decide_distributions(nothing_yet, records, NOW)

    assert kinds(decided) == ["AidDistributed", "AidDistributed", "AidDistributed",
                              "DuplicateDistributionFlagged", "AidDistributed"]  # fmt: skip
    assert plainly(decided) == one_by_one(nothing_yet, records)


def test_a_household_already_served_before_the_batch_is_flagged_duplicate() -> None:
    earlier = evolve(
        HouseholdAid(), decide_distribution(HouseholdAid(), handed("d-0", AMINA), NOW)[0]
    )

    def state_of(identity: str) -> HouseholdAid:
        return earlier if identity == AMINA else HouseholdAid()

    records = [handed("d-1", AMINA), handed("d-2", BRAHIM)]
    decided = decide_distributions(state_of, records, NOW)

    assert kinds(decided) == ["DuplicateDistributionFlagged", "AidDistributed"]
    assert decided[0][0].first_distribution_id == "d-0"  # type: ignore[index,union-attr]
    assert plainly(decided) == one_by_one(state_of, records)


def test_a_rejected_record_leaves_the_household_as_it_was_for_the_next() -> None:
    for_elderly = ramadan(groups=["elderly"])
    records = [handed("d-1", AMINA, for_elderly), handed("d-2", AMINA, for_elderly,
                                                         groups=["elderly"])]  # fmt: skip

    decided = decide_distributions(nothing_yet, records, NOW)

    assert isinstance(decided[0], Rejected) and decided[0].code == "not_eligible"
    assert kinds(decided)[1] == "AidDistributed"
    assert plainly(decided) == one_by_one(nothing_yet, records)


# ---- through the writer's bookkeeping ------------------------------------------------------


def sent(batch: RecordDistributions, at: datetime = NOW) -> CommandEnvelope:
    return CommandEnvelope.of(batch, batch_id(batch), AGENT, at)


def decided(store: AggregateStore[HouseholdAid], envelope: CommandEnvelope) -> Decision:
    decision = store.take(envelope)
    store.fold(decision)
    return decision


def answers(store: AggregateStore[HouseholdAid], decision: Decision) -> list[Reply]:
    return [Reply.model_validate(r) for r in store.answer(decision, None).details["replies"]]


def statuses(records: list[RecordDistribution], replies: list[Reply]) -> list[tuple[str, ...]]:
    return [
        tuple(x for x in (s.id, s.status, s.reason, s.position) if x is not None)
        for s in (_result(r, reply) for r, reply in zip(records, replies, strict=True))
    ]


def test_a_batch_writes_the_events_and_gives_the_statuses_each_record_would_have_alone() -> None:
    records = [handed("d-1", AMINA), handed("d-2", BRAHIM), handed("d-3", AMINA)]
    batch, alone = AggregateStore(DistributionDecider()), AggregateStore(DistributionDecider())

    together = decided(batch, sent(RecordDistributions(records=records)))
    singles = [decided(alone, CommandEnvelope.of(r, r.distribution_id, AGENT, NOW))
               for r in records]  # fmt: skip

    def written(decision: Decision) -> list[dict[str, object]]:
        return [e.model_dump(exclude={"correlation_id"}) for e, _ in decision.events]

    assert written(together) == [event for d in singles for event in written(d)]
    assert [together.record_key(i) for i in range(3)] == [AMINA, BRAHIM, AMINA]
    assert statuses(records, answers(batch, together)) == statuses(
        records, [alone.answer(d, None) for d in singles]
    ) == [("d-1", "accepted"), ("d-2", "accepted"), ("d-3", "duplicate")]  # fmt: skip


def test_each_records_answer_is_its_reply_as_the_batch_carries_it_field_for_field() -> None:
    records = [handed("d-1", AMINA), handed("d-2", BRAHIM), handed("d-2", BRAHIM)]
    store = AggregateStore(DistributionDecider())

    carried = store.answer(decided(store, sent(RecordDistributions(records=records))), None)

    fields = {"command_id", "status", "replayed", "events", "position", "error", "message",
              "details"}  # fmt: skip
    for answer in carried.details["replies"]:
        as_reply = Reply.model_validate(answer).model_dump(include=fields)
        assert list(answer.items()) == list(as_reply.items())  # the same keys in one order
    assert [len(r["events"]) for r in carried.details["replies"]] == [1, 1, 1]


def test_a_record_already_recorded_is_a_repeat_answered_as_before_and_writes_nothing() -> None:
    store = AggregateStore(DistributionDecider())
    first = handed("d-1", AMINA)
    decided(store, CommandEnvelope.of(first, "d-1", AGENT, MORNING))  # synced once, alone

    again = decided(store, sent(RecordDistributions(records=[first, handed("d-2", AMINA)])))

    assert [e.distribution_id for _, e in again.events] == ["d-2"]  # type: ignore[attr-defined]
    replies = answers(store, again)
    assert (replies[0].status, replies[0].replayed) == ("accepted", True)
    assert [e["type"] for e in replies[0].events] == ["AidDistributed"]
    assert statuses([first, handed("d-2", AMINA)], replies) == [
        ("d-1", "accepted"), ("d-2", "duplicate"),
    ]  # fmt: skip


def test_a_batch_synced_again_is_answered_the_same_and_writes_nothing() -> None:
    store = AggregateStore(DistributionDecider())
    records = [handed("d-1", AMINA), handed("d-2", AMINA)]
    batch = RecordDistributions(records=records)
    first = answers(store, decided(store, sent(batch)))

    again = decided(store, sent(batch))

    assert again.events == []
    assert statuses(records, answers(store, again)) == statuses(records, first)


def test_one_id_twice_in_a_batch_is_decided_once_or_refused_when_it_asks_something_else() -> None:
    store = AggregateStore(DistributionDecider())
    same, other = handed("d-1", AMINA), handed("d-1", AMINA, quantity=2)

    decision = decided(store, sent(RecordDistributions(records=[same, same, other])))

    assert [e.distribution_id for _, e in decision.events] == ["d-1"]  # type: ignore[attr-defined]
    one, twice, conflict = answers(store, decision)
    assert one == twice and one.status == "accepted"
    assert (conflict.status, conflict.error) == ("refused", "idempotency_conflict")


def test_a_record_of_another_writers_partition_is_sent_back_undecided() -> None:
    store = AggregateStore(DistributionDecider())
    batch = RecordDistributions(records=[handed("d-1", AMINA), handed("d-2", BRAHIM)])

    decision = store.take(sent(batch), owns=lambda identity: identity == AMINA)

    assert [e.distribution_id for _, e in decision.events] == ["d-1"]  # type: ignore[attr-defined]
    assert answers(store, decision)[1].error == "other_partition"


class _Bus:
    """Decides as the writer of partition 0 of two would: others' records sent back."""

    def __init__(self) -> None:
        self.store = AggregateStore(DistributionDecider())
        self.sent: list[str] = []

    async def send_many(self, commands: list[tuple[Any, CommandEnvelope]]) -> list[Reply]:
        replies = []
        for _, envelope in commands:
            self.sent.append(envelope.type)
            decision = self.store.take(envelope, owns=lambda key: key != CHAMA)
            self.store.fold(decision)
            replies.append(self.store.answer(decision, None))
        return replies


def test_a_stray_record_is_sent_alone_and_answered_as_alone() -> None:
    """A record its batch's writer does not hold (the partitions changed between sending
    and deciding) comes back undecided and is sent again on its own."""
    bus = _Bus()
    kept = {"reference": KeptRows(REFERENCE, 0), "users": KeptRows(USERS, 0)}
    ports = SimpleNamespace(bus=bus, partition_of=lambda key: 0, last_written={}, **kept)
    records = [handed("d-1", AMINA), handed("d-2", CHAMA), handed("d-3", AMINA)]
    user = User(username="ilham-agent", role="agent")

    replies = asyncio.run(_decisions(ports, records, user, NOW))  # type: ignore[arg-type]

    assert bus.sent == ["RecordDistributions", "RecordDistribution"]
    assert statuses(records, replies) == [
        ("d-1", "accepted"), ("d-2", "accepted"), ("d-3", "duplicate"),
    ]  # fmt: skip


class _PlacingBus(_Bus):
    """The same writer, its events placed one after the other on partition 0."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0

    async def send_many(self, commands: list[tuple[Any, CommandEnvelope]]) -> list[Reply]:
        replies = []
        for _, envelope in commands:
            self.sent.append(envelope.type)
            decision = self.store.take(envelope, owns=lambda key: key != CHAMA)
            self.store.fold(decision)
            self.written += len(decision.events)
            last = Position("distributions", 0, self.written - 1) if decision.events else None
            replies.append(self.store.answer(decision, last))
        return replies


def test_each_record_answers_where_it_was_written_and_the_same_when_synced_again() -> None:
    """Amina's two records by where each of their events landed in their batch, the stray
    Chama's by its own; syncing them all again writes nothing and answers the same."""
    bus = _PlacingBus()
    kept = {"reference": KeptRows(REFERENCE, 0), "users": KeptRows(USERS, 0)}
    ports = SimpleNamespace(bus=bus, partition_of=lambda key: 0, last_written={}, **kept)
    records = [handed("d-1", AMINA), handed("d-2", CHAMA), handed("d-3", AMINA)]
    user = User(username="ilham-agent", role="agent")

    replies = asyncio.run(_decisions(ports, records, user, NOW))  # type: ignore[arg-type]
    again = asyncio.run(_decisions(ports, records, user, NOW))  # type: ignore[arg-type]

    first = [_result(r, reply) for r, reply in zip(records, replies, strict=True)]
    assert [r.position for r in first] == [
        "distributions:0:0", "distributions:0:2", "distributions:0:1",
    ]  # fmt: skip
    assert [_result(r, reply) for r, reply in zip(records, again, strict=True)] == first
    assert bus.written == 3


def test_a_sync_makes_one_command_per_partition_each_under_a_stable_id() -> None:
    identities = [f"p{n:040d}" for n in range(60)]
    HOUSEHOLDS.update((i, f"hh-{n}") for n, i in enumerate(identities))
    recording = [(n, handed(f"d-{n}", identities[n % 30])) for n in range(60)]

    batches = record_batches(recording, lambda key: partition_for(key, 6))

    assert sorted(n for _, lines in batches for n in lines) == list(range(60))
    for batch, lines in batches:
        assert len({partition_for(r.identity, 6) for r in batch.records}) == 1
        assert [r.distribution_id for r in batch.records] == [f"d-{n}" for n in lines]
    assert len(batches) == len({partition_for(i, 6) for i in identities[:30]})
    again = record_batches(recording, lambda key: partition_for(key, 6))
    assert [batch_id(b) for b, _ in batches] == [batch_id(b) for b, _ in again]


def test_a_partition_s_records_fit_one_message_each_and_their_replies_too() -> None:
    regions = [f"MA{n:02d}" for n in range(1, 13)]
    wide = ramadan(region_codes=regions, groups=["children", "women", "elderly", "disability"])
    identities = [f"p{n:063d}" for n in range(2000)]
    HOUSEHOLDS.update((i, f"{n:08d}-0000-4000-8000-000000000000") for n, i in enumerate(identities))
    recording = [(n, handed(f"{n:08d}-1111-4000-8000-000000000000", i, wide, region_code="MA07",
                            groups=["children", "women"], site_id="site-al-haouz-amizmiz"))
                 for n, i in enumerate(identities)]  # fmt: skip

    batches = record_batches(recording, lambda key: 0)

    assert [len(lines) for _, lines in batches] == [MAX_RECORDS] * 4
    store = AggregateStore(DistributionDecider())
    for batch, _ in batches:
        envelope = sent(batch)
        assert len(envelope.model_dump_json()) < 1_000_000
        reply = store.answer(decided(store, envelope), None)
        assert len(reply.model_dump_json()) < 1_000_000
