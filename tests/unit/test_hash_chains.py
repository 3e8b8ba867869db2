"""Every event links to its predecessor in its partition; a verifier finds where it breaks.

The story: five receipts at Marrakech are written, chained, to stock partition 0. A copy of
the log where one receipt's quantity is changed, one is unsigned or signed again with
another key, one removed, one inserted, or two swapped fails verification at that position
and says why; the writer, restarted, chains its next
event from the last record in the log, not from what it remembered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord, TopicPartition

from events.chain import GENESIS, link_of, link_of_record
from events.signing import LedgerKeys
from services.app.errors import BrokerUnavailable
from services.domain.positions import Position
from services.runtime.decider_runner import DecisionLog
from services.runtime.ledger_verify import (
    PartitionResult,
    last_result,
    save_result,
    verify_records,
)
from services.runtime.publisher import KafkaEventPublisher
from services.runtime.settings import Settings
from tests.support.events import recorded
from tests.support.stock_stories import MARRAKECH, received
from tests.unit.test_signed_log_readers import FoldedStore, RecordingPublisher

KEYS = LedgerKeys([b"k" * 64])
TOPIC = "t.stock"


def chain(quantities: Sequence[int], keys: LedgerKeys = KEYS) -> list[bytes]:
    """Receipts of these quantities, chained from the genesis link and signed."""
    values, prev = [], GENESIS
    for n, quantity in enumerate(quantities):
        envelope, _ = recorded(received(quantity, f"RB-{n}"), command_id=f"receipt-{n}")
        value, prev = keys.encode_chained(envelope, prev)
        values.append(value)
    return values


def verify(values: Sequence[bytes], unchained_before: int = 0) -> PartitionResult:
    return verify_records(TOPIC, 0, enumerate(values), KEYS, unchained_before)


def test_a_chain_of_signed_events_verifies_with_its_count_and_head() -> None:
    values = chain([10, 20, 30, 40, 50])

    result = verify(values)

    assert result.ok and result.events == 5
    assert result.head == link_of(orjson.loads(values[-1])) == link_of_record(values[-1])
    assert orjson.loads(values[0])["prev"] == GENESIS
    assert orjson.loads(values[3])["prev"] == link_of_record(values[2])
    assert result.line() == f"{TOPIC}[0] OK 5 events, head {result.head}"


def test_the_link_covers_the_signature_and_the_signature_covers_the_link() -> None:
    first, second = chain([10, 20])
    resigned = orjson.loads(first) | {"signature": "0" * 64}
    relinked = orjson.loads(second) | {"prev": link_of(resigned)}

    assert link_of(resigned) != link_of_record(first)
    assert "signature does not match" in (verify([first, orjson.dumps(relinked)]).reason or "")


def test_a_changed_event_is_found_at_its_offset() -> None:
    values = chain([10, 20, 30, 40, 50])
    changed = orjson.loads(values[2])
    changed["data"]["quantity"] = 999
    values[2] = orjson.dumps(changed)

    result = verify(values)

    assert (result.failed_at, result.events) == (2, 2)
    assert "signature does not match" in (result.reason or "")


def test_a_changed_event_signed_again_breaks_the_next_link() -> None:
    """Even a writer holding the key cannot rewrite the past without rewriting every event
    after it: the next event's link names the original."""
    values = chain([10, 20, 30, 40, 50])
    changed = orjson.loads(values[2])
    changed["data"]["quantity"] = 999
    values[2] = orjson.dumps(KEYS.signed_payload(changed))

    result = verify(values)

    assert result.failed_at == 3 and "link broken" in (result.reason or "")


def test_a_removed_event_is_found_where_it_was() -> None:
    values = chain([10, 20, 30, 40, 50])
    del values[1]

    result = verify(values)

    assert result.failed_at == 1 and "link broken" in (result.reason or "")


def test_an_inserted_event_is_found_at_its_offset() -> None:
    values = chain([10, 20, 30, 40, 50])
    other = chain([10, 999])[1]  # signed with the key, linked to another first event
    values.insert(2, other)

    result = verify(values)

    assert result.failed_at == 2 and "link broken" in (result.reason or "")


def test_reordered_events_are_found_at_the_first_moved() -> None:
    values = chain([10, 20, 30, 40, 50])
    values[1], values[2] = values[2], values[1]

    result = verify(values)

    assert result.failed_at == 1 and "link broken" in (result.reason or "")


def test_an_unsigned_event_is_found_at_its_offset() -> None:
    values = chain([10, 20, 30, 40, 50])
    unsigned = orjson.loads(values[2])
    del unsigned["signature"], unsigned["key_id"]
    values[2] = orjson.dumps(unsigned)

    result = verify(values)

    assert (result.failed_at, result.events, result.reason) == (2, 2, "unsigned event")


def test_an_event_re_signed_with_another_key_is_found_at_its_offset() -> None:
    """Signed again by a key the readers do not hold, under its own key id or under the
    writers': either way the walk stops at that event and says why."""
    mallory = LedgerKeys([b"m" * 64])
    unknown = f"signed with an unknown key {mallory.signing_key_id!r}"
    mismatch = f"signature does not match the event (key {KEYS.signing_key_id})"
    for claims_writers_key, reason in ((False, unknown), (True, mismatch)):
        values = chain([10, 20, 30, 40, 50])
        resigned = mallory.signed_payload(orjson.loads(values[3]))
        if claims_writers_key:
            resigned["key_id"] = KEYS.signing_key_id
        values[3] = orjson.dumps(resigned)

        result = verify(values)

        assert (result.failed_at, result.events, result.reason) == (3, 3, reason)


def test_an_unchained_or_junk_record_is_named_with_its_reason() -> None:
    values = chain([10, 20])
    unlinked = orjson.loads(values[1])
    del unlinked["prev"]

    resigned = orjson.dumps(KEYS.signed_payload(unlinked))

    assert "prev missing" in (verify([values[0], resigned]).reason or "")
    assert verify([values[0], b"a forged receipt"]).reason == "not JSON"


def test_events_written_before_the_upgrade_need_no_link_and_the_next_links_to_them() -> None:
    unsigned = [orjson.dumps({"type": "StockReceived", "n": n}) for n in range(3)]
    envelope, _ = recorded(received(7, "RB-9"), command_id="receipt-9")
    first_chained, _ = KEYS.encode_chained(envelope, link_of_record(unsigned[-1]))

    assert verify([*unsigned, first_chained], unchained_before=3).ok
    assert verify([*unsigned, first_chained], unchained_before=2).failed_at == 2


class ForgettingStore(FoldedStore):
    def forget(self) -> None:
        self.applied.clear()


def record(value: bytes, offset: int) -> ConsumerRecord[Any, Any]:
    key = MARRAKECH.encode()
    return ConsumerRecord(TOPIC, 0, offset, 0, 0, key, value, None, 0, len(value), [])


def test_a_restarted_writer_chains_from_the_last_record_in_the_log() -> None:
    """What the writer sent before a crash but never saw acknowledged does not count: a new
    writer folds the partition and chains from what is actually there."""
    settings = Settings(topic_prefix="t.", ledger_keys="k" * 64)
    tp = TopicPartition(TOPIC, 0)
    log = chain([10, 20, 30])
    restarted = DecisionLog(settings, "stock", ForgettingStore())  # type: ignore[arg-type]

    assert restarted.head(tp) == GENESIS  # an empty partition
    for offset, value in enumerate(log):
        restarted._fold(tp, record(value, offset))
    envelope, _ = recorded(received(40, "RB-3"), command_id="receipt-3")
    value, link = KEYS.encode_chained(envelope, restarted.head(tp))
    restarted.chained(tp, link)

    assert restarted.head(tp) == link_of_record(value)
    assert verify([*log, value]).ok
    restarted.forget()  # a failed batch: fold again from the log
    assert restarted.head(tp) == GENESIS
    for offset, value in enumerate(log):
        restarted._fold(tp, record(value, offset))
    assert restarted.head(tp) == link_of_record(log[-1])
    assert len(restarted.store.applied) == 3  # type: ignore[attr-defined]


def test_the_publisher_chains_its_events_after_the_partition_head() -> None:
    settings = Settings(topic_prefix="t.", ledger_keys="k" * 64)
    publisher = RecordingPublisher(settings)
    first, _ = recorded(received(10, "RB-1"), command_id="receipt-1")
    second, _ = recorded(received(20, "RB-2"), command_id="receipt-2")

    publisher.publish("stock", MARRAKECH, [first, second])
    publisher.publish("stock", MARRAKECH, [first])

    assert verify([v for _, _, v in publisher.appended]).ok
    assert publisher.partitions == [1, 1, 1]  # written to the partition it read the head of


def test_the_last_verdict_is_kept_for_the_health_check(tmp_path: Any) -> None:
    settings = Settings(data_dir=tmp_path)
    assert last_result(settings) is None

    broken = verify(chain([10, 20])[::-1])
    save_result(settings, [verify(chain([10])), broken])

    kept = last_result(settings)
    assert kept is not None and kept["ok"] is False
    assert [(f["topic"], f["failed_at"]) for f in kept["failures"]] == [(TOPIC, 0)]


def test_the_health_check_reports_a_failed_verdict_until_a_run_passes(
    tmp_path: Any, monkeypatch: Any
) -> None:
    from projections.database import make_engine, migrate
    from services.runtime import health

    monkeypatch.setattr(health, "end_offsets", lambda settings, streams: {})
    monkeypatch.setattr(health, "pending_commands", lambda settings: 0)
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/rm.db")
    engine = make_engine(settings.db_url)
    migrate(engine)
    assert health.check(settings, engine)["status"] == "ok"

    save_result(settings, [verify(chain([10, 20])[::-1])])
    report = health.check(settings, engine)
    assert report["status"] == "degraded" and report["ledger"]["ok"] is False
    assert f"the ledger failed verification: {TOPIC}[0] at offset 0" in report["problems"][0]

    save_result(settings, [verify(chain([10, 20]))])
    assert health.check(settings, engine)["status"] == "ok"


def test_the_command_line_writes_users_through_the_users_writer(monkeypatch: Any) -> None:
    """`aid users create|revoke` sends commands (the users topic keeps one writer per
    partition); the event's position comes from the writer's reply, a refusal says why."""
    from services.domain.commands import Reply
    from services.domain.decisions import DomainError
    from services.domain.users.decider import Account, UsersDecider
    from services.runtime import users
    from services.runtime.publisher import KafkaEventPublisher

    sent: list[Any] = []

    async def writer(settings: Settings, command: Any, envelope: Any) -> Reply:
        sent.append((command, envelope))
        if command.TYPE == "RevokeUser":
            return Reply(command_id=envelope.command_id, status="refused", error="no_such_user",
                         message="no user 'ghost'")  # fmt: skip
        UsersDecider.decide(Account(), command, envelope.issued_at)
        return Reply(command_id=envelope.command_id, status="accepted", position="users:2:41")

    monkeypatch.setattr(users, "_send", writer)
    settings = Settings(topic_prefix="t.")
    publisher = KafkaEventPublisher(settings)

    token, position = users.create_user(settings, publisher, "amina.admin", "admin")
    assert (position.stream, position.partition, position.offset) == ("users", 2, 41)
    [(command, envelope)] = sent
    assert command.anew and envelope.data["token_hash"] != token and envelope.type == "CreateUser"
    with pytest.raises(DomainError, match="no user 'ghost'"):
        users.revoke_user(settings, publisher, "ghost")


class _Partitions:
    def partitions_for(self, topic: str) -> set[int]:
        return {0}


class LogBackedPublisher(KafkaEventPublisher):
    """The publisher over a one-partition log in memory; `failing` makes the next send fail
    after the events reached the log, as an acknowledgement lost in a broker outage."""

    def __init__(self, settings: Settings, log: list[bytes]) -> None:
        super().__init__(settings)
        self.log = log
        self.failing = False

    def _connect(self) -> Any:
        return _Partitions()

    def _send(
        self, stream: str, messages: Sequence[tuple[str, bytes]], partition: int | None
    ) -> list[Position]:
        self.log.extend(value for _, value in messages)
        if self.failing:
            self.failing = False
            raise BrokerUnavailable("no acknowledgement")
        return [Position(stream, 0, len(self.log) - 1)]


def test_the_publisher_reads_a_partition_head_once_and_again_after_a_failed_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings()
    log = chain([10, 20], settings.ledger())  # written by an earlier process
    reads: list[int] = []

    def last_record(settings: Settings, topic: str, partition: int) -> bytes | None:
        reads.append(partition)
        return log[-1] if log else None

    monkeypatch.setattr("services.runtime.publisher.last_record", last_record)
    publisher = LogBackedPublisher(settings, log)

    def publish(n: int) -> None:
        envelope, _ = recorded(received(n, f"RB-p{n}"), command_id=f"receipt-p{n}")
        publisher.publish("stock", MARRAKECH, [envelope])

    publish(1)
    publish(2)
    assert reads == [0], "the head is read from the log once, then remembered"
    publisher.failing = True
    with pytest.raises(BrokerUnavailable):
        publish(3)  # in the log, but the publisher cannot know it
    publish(4)
    assert reads == [0, 0]

    result = verify_records(TOPIC, 0, enumerate(log), settings.ledger(), 0)
    assert result.ok and result.events == 6, result.line()
