"""An import's registrations decided a partition at a time: one command carrying the
households, decided in one go by the households' writer, each household as it would be
alone (same refusals, same events), and a batch delivered again answered the same."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce

from events import Actor
from events.households import MemberCounts
from services.app.import_batches import in_batches
from services.domain.commands import CommandEnvelope, Reply, batch_id
from services.domain.deciding import AggregateStore, Decision
from services.domain.decisions import Refused
from services.domain.households.decider import RegisterHousehold, Registration, decide, evolve
from services.domain.households.writer import (
    HouseholdDecider,
    RegisterHouseholds,
    decide_registrations,
)
from services.runtime.partitioning import partition_for

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
IMPORTER = Actor(user_id="aid-households-import", role="admin")
FATIMA, KHADIJA, YOUSSEF = ("p" + c * 40 for c in "abc")


def six(key: str) -> int:
    """The partition of `key` among six, as the producers place it."""
    return partition_for(key, 6)


def one(key: str) -> int:
    return 0


def registration(identity: str, household_id: str, sealed: str = "c2VhbGVk") -> RegisterHousehold:
    return RegisterHousehold(
        household_id=household_id, identity=identity, national_id_pseudonym=identity,
        sealed_personal_data=sealed, size=4, region_code="MA07", province_code="MA0701",
    )  # fmt: skip


def nobody(identity: str) -> Registration:
    return Registration()


def sent(batch: RegisterHouseholds, client_id: str = "batch-1") -> CommandEnvelope:
    return CommandEnvelope.of(batch, client_id, IMPORTER, NOW)


def items(reply: Reply) -> list[tuple[str, str, bool, str | None]]:
    return [
        (r["command_id"], r["status"], r["replayed"], r["error"]) for r in reply.details["replies"]
    ]


def test_three_people_in_one_batch_are_each_registered_as_alone() -> None:
    households = [registration(FATIMA, "hh-1"), registration(KHADIJA, "hh-2"),
                  registration(YOUSSEF, "hh-3")]  # fmt: skip

    decided = decide_registrations(nobody, households, NOW)

    assert decided == [decide(Registration(), h, NOW) for h in households]
    assert [[e.household_id for e in events] for events in decided] == [
        ["hh-1"],
        ["hh-2"],
        ["hh-3"],
    ]  # type: ignore[union-attr]


def test_the_same_person_twice_in_one_batch_the_second_is_refused_naming_the_first() -> None:
    households = [registration(FATIMA, "hh-1"), registration(KHADIJA, "hh-2"),
                  registration(FATIMA, "hh-9")]  # fmt: skip

    first, second, twice = decide_registrations(nobody, households, NOW)

    assert isinstance(first, list) and isinstance(second, list)
    assert isinstance(twice, Refused) and twice.code == "already_registered"
    assert twice.details == {"household_id": "hh-1"}


def test_a_person_already_registered_under_another_household_is_refused_naming_it() -> None:
    registered = reduce(evolve, decide(Registration(), registration(FATIMA, "hh-old"), NOW),
                        Registration())  # fmt: skip
    states = {FATIMA: registered}

    [refused, fresh] = decide_registrations(
        lambda who: states.get(who, Registration()),
        [registration(FATIMA, "hh-new"), registration(KHADIJA, "hh-2")],
        NOW,
    )

    assert isinstance(refused, Refused)
    assert (refused.code, refused.details) == ("already_registered", {"household_id": "hh-old"})
    assert refused.message == "this person is already registered in household hh-old"
    assert isinstance(fresh, list) and len(fresh) == 1


def test_a_household_registered_already_by_this_registration_is_a_repeat() -> None:
    registered = reduce(evolve, decide(Registration(), registration(FATIMA, "hh-1"), NOW),
                        Registration())  # fmt: skip

    assert decide_registrations(lambda who: registered, [registration(FATIMA, "hh-1")], NOW) == [[]]


def decided(store: AggregateStore[Registration], envelope: CommandEnvelope) -> Decision:
    decision = store.take(envelope)
    store.fold(decision)
    return decision


def test_a_batch_writes_the_events_each_household_would_have_had_alone() -> None:
    households = [registration(FATIMA, "hh-1"), registration(KHADIJA, "hh-2")]
    batch, alone = AggregateStore(HouseholdDecider()), AggregateStore(HouseholdDecider())

    together = decided(batch, sent(RegisterHouseholds(households=households)))
    one_by_one = [decided(alone, CommandEnvelope.of(h, h.household_id, IMPORTER, NOW))
                  for h in households]  # fmt: skip

    def written(decision: Decision) -> list[dict[str, object]]:  # the request's own aside
        return [e.model_dump(exclude={"correlation_id"}) for e, _ in decision.events]

    assert written(together) == [event for d in one_by_one for event in written(d)]
    assert [e.causation_id for e, _ in together.events] == [
        "RegisterHousehold:hh-1", "RegisterHousehold:hh-2",
    ]  # fmt: skip
    assert [together.record_key(i) for i in range(2)] == [FATIMA, KHADIJA]
    assert items(batch.answer(together, None)) == [
        ("RegisterHousehold:hh-1", "accepted", False, None),
        ("RegisterHousehold:hh-2", "accepted", False, None),
    ]


def test_a_batch_delivered_again_is_answered_the_same_and_writes_nothing() -> None:
    store = AggregateStore(HouseholdDecider())
    batch = RegisterHouseholds(households=[registration(FATIMA, "hh-1"),
                                           registration(KHADIJA, "hh-2"),
                                           registration(FATIMA, "hh-3")])  # fmt: skip
    first = store.answer(decided(store, sent(batch)), None)

    again = decided(store, sent(batch))

    assert again.events == []
    assert items(store.answer(again, None)) == [
        ("RegisterHousehold:hh-1", "accepted", True, None),
        ("RegisterHousehold:hh-2", "accepted", True, None),
        ("RegisterHousehold:hh-3", "refused", False, "already_registered"),
    ]
    assert [(i[1], i[3]) for i in items(first)] == [
        (i[1], i[3]) for i in items(store.answer(again, None))
    ]


def test_once_its_outcome_is_forgotten_a_batch_again_is_still_a_repeat_from_the_state() -> None:
    store = AggregateStore(HouseholdDecider())
    batch = RegisterHouseholds(households=[registration(FATIMA, "hh-1")])
    decided(store, sent(batch))
    store.outcomes.clear()  # more commands since than the writer remembers

    again = decided(store, sent(batch))

    assert again.events == [] and items(store.answer(again, None)) == [
        ("RegisterHousehold:hh-1", "accepted", True, None)
    ]


def test_one_household_sent_alone_after_its_batch_is_answered_from_the_batch() -> None:
    store = AggregateStore(HouseholdDecider())
    fatima = registration(FATIMA, "hh-1")
    decided(store, sent(RegisterHouseholds(households=[fatima])))

    reply = store.answer(decided(store, CommandEnvelope.of(fatima, "hh-1", IMPORTER, NOW)), None)

    assert (reply.status, reply.replayed, len(reply.events)) == ("accepted", True, 1)


def test_a_household_of_another_writers_partition_is_sent_back_undecided() -> None:
    store = AggregateStore(HouseholdDecider())
    batch = RegisterHouseholds(households=[registration(FATIMA, "hh-1"),
                                           registration(KHADIJA, "hh-2")])  # fmt: skip

    decision = store.take(sent(batch), owns=lambda identity: identity == FATIMA)

    assert [e.household_id for _, e in decision.events] == ["hh-1"]  # type: ignore[attr-defined]
    assert items(store.answer(decision, None))[1] == (
        "RegisterHousehold:hh-2", "rejected", False, "other_partition",
    )  # fmt: skip


def test_an_import_batch_makes_one_command_per_partition_each_under_a_stable_id() -> None:
    registering = [(n, registration(f"p{n:040d}", f"hh-{n}")) for n in range(60)]

    batches = in_batches(registering, six)

    assert sorted(n for _, lines in batches for n in lines) == list(range(60))
    for batch, lines in batches:
        assert len({partition_for(h.identity, 6) for h in batch.households}) == 1
        assert [h.household_id for h in batch.households] == [f"hh-{n}" for n in lines]
    assert len(batches) == len({partition_for(c.identity, 6) for _, c in registering})
    assert [batch_id(b) for b, _ in batches] == [
        batch_id(b) for b, _ in in_batches(registering, six)
    ]


def test_a_partitions_households_too_big_for_one_message_go_in_several_commands() -> None:
    big = "x" * 8000
    registering = [(n, registration(f"p{n:040d}", f"hh-{n}", big)) for n in range(200)]

    batches = in_batches(registering, one)

    assert [len(lines) for _, lines in batches] == [63, 63, 63, 11]  # 600 kB each at most
    assert all(len(sent(b).model_dump_json()) < 1_000_000 for b, _ in batches)
    assert [n for _, lines in batches for n in lines] == list(range(200))


def test_even_households_with_every_field_and_little_sealed_fit_one_message() -> None:
    counted = MemberCounts(counted_on=NOW.date(), females_18_59=2, males_60_plus=1)
    full = [
        (n, registration(f"p{n:063d}", f"{n:08d}-0000-4000-8000-000000000000", "x" * 200)
        .model_copy(update={"registry_pseudonym": f"r{n:063d}", "members": counted,
                            "groups": ["children", "women", "elderly", "disability"],
                            "precarity_score": 99.5, "site_id": "site-al-haouz-amizmiz"}))
        for n in range(3000)
    ]  # fmt: skip

    batches = in_batches(full, one)

    assert max(len(sent(b).model_dump_json()) for b, _ in batches) < 1_000_000
    assert sum(len(lines) for _, lines in batches) == 3000
