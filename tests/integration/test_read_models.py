"""Read models in a real database (SQLite and PostgreSQL): each event counted exactly once.

Messages are built by hand as the consumer would hand them over, so no broker is needed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from api.auth import find_user
from events import Actor, Envelope, Event
from events.reference import LocationRegistered
from events.stock import StockReceived
from events.users import UserCreated, UserPasswordReset, UserRevoked, UserScopesChanged
from projections import queries, stock_queries, users_queries
from projections.history_writer import HistoryProjection
from projections.inventory import Inventory, LotBalance, LotKey, fold
from projections.inventory_writer import InventoryProjection
from projections.projection import Projection
from projections.reference_writer import ReferenceProjection
from projections.tables import (
    applied_events,
    inventory_lots,
    projection_positions,
    stock_movements,
    users,
)
from projections.users_writer import UsersProjection
from projections.writer import Message, apply_batch, apply_messages, lock, positions, reset
from services.domain.users.credentials import token_hash
from tests.support.events import recorded

CASABLANCA, MARRAKECH, AMIZMIZ = "wh-casa", "wh-marrakech", "site-amizmiz"
BASKETS, TENTS = "food-basket", "tent-family"
MARCH_2024, JUNE_2024 = date(2024, 3, 31), date(2024, 6, 30)
LOT_EXPIRY = {"RB-1": MARCH_2024, "RB-2": JUNE_2024, "T-9": None}
STOCK_TOPIC = "aid.stock"
PARTITION_OF = {CASABLANCA: 0, MARRAKECH: 1, AMIZMIZ: 2}
MOROCCO = timezone(timedelta(hours=1))
STOREKEEPER = Actor(user_id="karim.operator", role="operator")
SEPT_9 = datetime(2023, 9, 9, 8, 0, tzinfo=UTC)

Recorded = tuple[Envelope, Event]


def received(
    receipt_id: str,
    quantity: int,
    *,
    location: str = CASABLANCA,
    item: str = BASKETS,
    lot: str = "RB-1",
    occurred_at: datetime = SEPT_9,
) -> Recorded:
    """A receipt as recorded; each lot has one expiry, as the receiving form prints it."""
    event = StockReceived(
        receipt_id=receipt_id,
        location_id=location,
        item_id=item,
        quantity=quantity,
        lot=lot,
        expires_on=LOT_EXPIRY.get(lot),
    )
    return recorded(event, command_id=receipt_id, occurred_at=occurred_at, actor=STOREKEEPER)


class StockLog:
    """The stock topic as producers fill it: a location's events go to its partition, in order."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._next: dict[int, int] = defaultdict(int)

    def publish(self, *receipts: Recorded) -> list[Message]:
        return [self._append(PARTITION_OF[ev.location_id], env, ev) for env, ev in receipts]

    def park_poison(self, partition: int) -> Message:
        """A message that could not be decoded: the worker parked it in the DLQ."""
        return self._append(partition, None, None)

    def last_offsets(self) -> dict[tuple[str, int], int]:
        return {(STOCK_TOPIC, p): n - 1 for p, n in self._next.items()}

    def _append(self, partition: int, envelope: Envelope | None, event: Event | None) -> Message:
        message = Message(STOCK_TOPIC, partition, self._next[partition], envelope, event)
        self._next[partition] += 1
        self.messages.append(message)
        return message


def lots_on_hand(engine: Engine) -> Inventory:
    with engine.connect() as conn:
        rows = conn.execute(select(inventory_lots)).all()
    return {
        LotKey(r.location_id, r.item_id, r.lot): LotBalance(r.expires_on, r.on_hand) for r in rows
    }


def stock_card(engine: Engine) -> list[tuple[Any, ...]]:
    m = stock_movements
    columns = (m.c.reference_id, m.c.event_id, m.c.location_id, m.c.lot, m.c.quantity, m.c.actor)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*columns).order_by(m.c.reference_id))]


def stored_positions(engine: Engine, projection: Projection) -> dict[tuple[str, int], int]:
    with engine.connect() as conn:
        return positions(conn, projection.name)


def everything_of(engine: Engine, projection: Projection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a projection owns: its tables, the event ids it applied, its positions."""
    with engine.connect() as conn:
        rows = {
            table.name: [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key))]
            for table in projection.tables
        }
        for table in (applied_events, projection_positions):
            mine = select(table).where(table.c.projection == projection.name)
            rows[table.name] = [tuple(r) for r in conn.execute(mine.order_by(*table.primary_key))]
    return rows


def rebuild(engine: Engine, projection: Projection, messages: Sequence[Message]) -> None:
    """Replay the whole log the way `aid rebuild` does: one transaction, polled chunks."""
    with engine.begin() as conn:
        lock(conn, projection.name)
        reset(conn, projection)
        for start in range(0, len(messages), 4):
            apply_messages(conn, projection, messages[start : start + 4])


def distinct_events(messages: Sequence[Message]) -> list[Recorded]:
    by_id = {m.envelope.event_id: (m.envelope, m.event) for m in messages if m.envelope and m.event}
    return list(by_id.values())


# --- inventory: what lands in the tables -------------------------------------------------------


def test_receipts_applied_in_one_batch_fill_the_lots_the_pure_fold_computes(engine: Engine) -> None:
    log = StockLog()
    log.publish(
        received("rcpt-0001", 120, lot="RB-1"),
        received("rcpt-0002", 80, lot="RB-2"),
        received("rcpt-0003", 40, location=MARRAKECH, lot="RB-1"),
        received("rcpt-0004", 15, location=AMIZMIZ, item=TENTS, lot="T-9"),
    )

    applied = apply_batch(engine, InventoryProjection(), log.messages)

    assert applied == 4
    assert lots_on_hand(engine) == fold({}, distinct_events(log.messages))
    assert lots_on_hand(engine)[LotKey(CASABLANCA, BASKETS, "RB-1")] == LotBalance(MARCH_2024, 120)


def test_the_stock_card_has_one_line_per_receipt_naming_it_and_the_storekeeper(
    engine: Engine,
) -> None:
    log = StockLog()
    first, second, third = log.publish(
        received("rcpt-0001", 120, lot="RB-1"),
        received("rcpt-0002", 80, lot="RB-2"),
        received("rcpt-0003", 30, lot="RB-1"),
    )

    apply_batch(engine, InventoryProjection(), log.messages)

    assert stock_card(engine) == [
        ("rcpt-0001", first.envelope.event_id, CASABLANCA, "RB-1", 120, "karim.operator"),
        ("rcpt-0002", second.envelope.event_id, CASABLANCA, "RB-2", 80, "karim.operator"),
        ("rcpt-0003", third.envelope.event_id, CASABLANCA, "RB-1", 30, "karim.operator"),
    ]
    card = stock_queries.stock_card(engine, CASABLANCA, BASKETS)
    assert [(line["reference_id"], line["balance"]) for line in card.items] == [
        ("rcpt-0001", 120),
        ("rcpt-0002", 200),
        ("rcpt-0003", 230),
    ]


# --- inventory: exactly once -------------------------------------------------------------------


def test_a_receipt_published_again_at_a_new_offset_is_counted_once(engine: Engine) -> None:
    """The producer retried after a timeout: the same event_id lands at offset 2."""
    projection, log = InventoryProjection(), StockLog()
    convoy = received("rcpt-0001", 120)
    log.publish(convoy, received("rcpt-0002", 80, lot="RB-2"))
    apply_batch(engine, projection, log.messages)
    before = everything_of(engine, projection)

    (retried,) = log.publish(convoy)
    applied = apply_batch(engine, projection, [retried])

    assert applied == 0
    after = everything_of(engine, projection)
    assert after.pop("projection_positions") == [("inventory", STOCK_TOPIC, 0, 2)]
    before.pop("projection_positions")
    assert after == before


def test_a_receipt_delivered_twice_inside_one_batch_is_counted_once(engine: Engine) -> None:
    log = StockLog()
    convoy = received("rcpt-0001", 120)
    log.publish(convoy, convoy)

    applied = apply_batch(engine, InventoryProjection(), log.messages)

    assert applied == 1
    assert lots_on_hand(engine) == {
        LotKey(CASABLANCA, BASKETS, "RB-1"): LotBalance(MARCH_2024, 120)
    }
    assert len(stock_card(engine)) == 1


def test_history_drops_a_repeated_event_by_its_own_key_and_records_no_event_id(
    engine: Engine,
) -> None:
    """History rows are keyed by event: a retried event, at a new offset or twice in one
    batch, leaves the rows the first one wrote, and no `applied_events` row is needed."""
    projection, log = HistoryProjection(), StockLog()
    convoy = received("rcpt-0001", 120)
    log.publish(convoy, convoy, received("rcpt-0002", 80, lot="RB-2"))
    apply_batch(engine, projection, log.messages)
    before = everything_of(engine, projection)
    assert [r[1] for r in before["history"]] == [CASABLANCA, CASABLANCA]
    assert before["applied_events"] == []

    (retried,) = log.publish(convoy)
    apply_batch(engine, projection, [retried])

    after = everything_of(engine, projection)
    assert after.pop("projection_positions") == [("history", STOCK_TOPIC, 0, 3)]
    before.pop("projection_positions")
    assert after == before


def test_a_batch_delivered_again_after_a_crash_changes_nothing(engine: Engine) -> None:
    """The worker committed to the database but died before committing to Kafka."""
    projection, log = InventoryProjection(), StockLog()
    log.publish(
        received("rcpt-0001", 120),
        received("rcpt-0002", 40, location=MARRAKECH),
        received("rcpt-0003", 80, lot="RB-2"),
    )
    apply_batch(engine, projection, log.messages)
    before = everything_of(engine, projection)

    applied = apply_batch(engine, projection, log.messages)

    assert applied == 0
    assert everything_of(engine, projection) == before


def test_positions_hold_the_last_offset_applied_of_each_partition(engine: Engine) -> None:
    projection, log = InventoryProjection(), StockLog()
    log.publish(
        received("rcpt-0001", 120),
        received("rcpt-0002", 40, location=MARRAKECH),
        received("rcpt-0003", 80, lot="RB-2"),
        received("rcpt-0004", 60, lot="RB-2"),
    )

    apply_batch(engine, projection, log.messages[:3])
    assert stored_positions(engine, projection) == {(STOCK_TOPIC, 0): 1, (STOCK_TOPIC, 1): 0}

    apply_batch(engine, projection, log.messages[3:])
    assert stored_positions(engine, projection) == {(STOCK_TOPIC, 0): 2, (STOCK_TOPIC, 1): 0}


def test_a_parked_poison_message_advances_the_position_and_applies_nothing(
    engine: Engine,
) -> None:
    projection, log = InventoryProjection(), StockLog()
    poison = log.park_poison(partition=0)

    assert apply_batch(engine, projection, [poison]) == 0
    assert stored_positions(engine, projection) == {(STOCK_TOPIC, 0): 0}
    assert lots_on_hand(engine) == {}
    assert stock_card(engine) == []

    log.publish(received("rcpt-0001", 120))
    log.park_poison(partition=0)
    assert apply_batch(engine, projection, log.messages) == 1
    assert stored_positions(engine, projection) == {(STOCK_TOPIC, 0): 2}
    assert lots_on_hand(engine) == {
        LotKey(CASABLANCA, BASKETS, "RB-1"): LotBalance(MARCH_2024, 120)
    }


def test_a_rebuild_from_the_first_offset_gives_the_same_tables_as_the_live_run(
    engine: Engine,
) -> None:
    projection, log = InventoryProjection(), StockLog()
    convoy = received("rcpt-0001", 120)
    log.publish(convoy, received("rcpt-0002", 40, location=MARRAKECH))
    log.park_poison(partition=1)
    log.publish(received("rcpt-0003", 80, lot="RB-2"), convoy)
    log.publish(received("rcpt-0004", 15, location=AMIZMIZ, item=TENTS, lot="T-9"))
    for batch in (log.messages[:2], log.messages[2:5], log.messages[2:5], log.messages[5:]):
        apply_batch(engine, projection, batch)
    live = everything_of(engine, projection)

    rebuild(engine, projection, log.messages)

    assert everything_of(engine, projection) == live
    assert lots_on_hand(engine) == fold({}, distinct_events(log.messages))


def test_a_lot_received_without_expiry_keeps_the_expiry_a_later_batch_brings(
    engine: Engine,
) -> None:
    log = StockLog()
    undated = StockReceived(
        receipt_id="rcpt-0001", location_id=CASABLANCA, item_id=BASKETS, quantity=40, lot="RB-7"
    )
    dated = undated.model_copy(update={"receipt_id": "rcpt-0002", "expires_on": MARCH_2024})
    log.publish(recorded(undated, command_id="rcpt-0001"), recorded(dated, command_id="rcpt-0002"))

    for message in log.messages:
        apply_batch(engine, InventoryProjection(), [message])

    expected = {LotKey(CASABLANCA, BASKETS, "RB-7"): LotBalance(MARCH_2024, 80)}
    assert fold({}, distinct_events(log.messages)) == expected
    assert lots_on_hand(engine) == expected


receipts = st.lists(
    st.builds(
        dict,
        location=st.sampled_from([CASABLANCA, MARRAKECH, AMIZMIZ]),
        item=st.sampled_from([BASKETS, TENTS]),
        lot=st.sampled_from(list(LOT_EXPIRY)),
        quantity=st.integers(min_value=1, max_value=10**6),
    ),
    min_size=1,
    max_size=20,
).map(lambda drawn: [received(f"rcpt-{i:04d}", **fields) for i, fields in enumerate(drawn)])


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stream=receipts, data=st.data())
def test_batches_of_any_size_with_redeliveries_give_the_inventory_of_the_pure_fold(
    engine: Engine, stream: list[Recorded], data: st.DataObject
) -> None:
    projection, log = InventoryProjection(), StockLog()
    with engine.begin() as conn:  # the engine outlives hypothesis's examples
        reset(conn, projection)
    for index, receipt in enumerate(stream):
        log.publish(receipt)
        if data.draw(st.booleans(), label=f"poison after receipt {index}"):
            log.park_poison(PARTITION_OF[receipt[1].location_id])
    retried = data.draw(st.lists(st.sampled_from(stream), max_size=5), label="producer retries")
    log.publish(*retried)

    cuts = data.draw(st.lists(st.integers(0, len(log.messages)), max_size=8), label="cuts")
    bounds = [0, *sorted(cuts), len(log.messages)]
    batches = [log.messages[start:end] for start, end in pairwise(bounds)]
    for number, batch in enumerate(batches):
        apply_batch(engine, projection, batch)
        crash = data.draw(st.sampled_from(["none", "batch again", "rewind"]), label="crash")
        if crash == "batch again":
            apply_batch(engine, projection, batch)
        elif crash == "rewind" and number > 0:  # consumer resumes at an older committed offset
            apply_batch(engine, projection, [*batches[number - 1], *batch])

    assert lots_on_hand(engine) == fold({}, stream)
    assert len(stock_card(engine)) == len(stream)
    assert stored_positions(engine, projection) == log.last_offsets()


# --- inventory as of a past moment -------------------------------------------------------------


def test_inventory_as_of_a_past_moment_counts_the_receipts_that_had_occurred_by_then(
    engine: Engine,
) -> None:
    log = StockLog()
    log.publish(
        received("rcpt-0001", 120, lot="RB-1", occurred_at=SEPT_9),
        received("rcpt-0002", 80, lot="RB-2", occurred_at=SEPT_9 + timedelta(days=1)),
        received("rcpt-0003", 50, lot="RB-1", occurred_at=SEPT_9 + timedelta(days=2)),
    )
    apply_batch(engine, InventoryProjection(), log.messages)

    def as_of(moment: datetime) -> list[tuple[str, date | None, int]]:
        rows = queries.inventory(engine, as_of=moment).items
        return [(r["lot"], r["expires_on"], int(r["on_hand"])) for r in rows]

    assert as_of(SEPT_9 - timedelta(hours=1)) == []
    assert as_of(SEPT_9 + timedelta(hours=4)) == [("RB-1", MARCH_2024, 120)]
    assert as_of(SEPT_9 + timedelta(days=1)) == [("RB-1", MARCH_2024, 120), ("RB-2", JUNE_2024, 80)]
    assert as_of(SEPT_9 + timedelta(days=1, hours=4)) == [
        ("RB-1", MARCH_2024, 120),
        ("RB-2", JUNE_2024, 80),
    ]
    assert as_of(SEPT_9 + timedelta(days=3)) == [("RB-1", MARCH_2024, 170), ("RB-2", JUNE_2024, 80)]
    assert [(r["lot"], r["on_hand"]) for r in queries.inventory(engine).items] == [
        ("RB-1", 170),
        ("RB-2", 80),
    ]


def test_inventory_as_of_compares_moments_not_wall_clock_readings(engine: Engine) -> None:
    """Amizmiz records in Morocco time (UTC+1); the coordinator asks in UTC."""
    log = StockLog()
    log.publish(
        received(
            "rcpt-0001",
            120,
            location=AMIZMIZ,
            occurred_at=datetime(2023, 9, 10, 10, 0, tzinfo=MOROCCO),
        )
    )
    apply_batch(engine, InventoryProjection(), log.messages)

    rows = queries.inventory(engine, as_of=datetime(2023, 9, 10, 9, 30, tzinfo=UTC)).items

    assert [(r["location_id"], int(r["on_hand"])) for r in rows] == [(AMIZMIZ, 120)]


# --- users and reference data ------------------------------------------------------------------


@pytest.mark.parametrize("in_one_batch", [True, False], ids=["one-batch", "two-batches"])
def test_a_created_then_revoked_user_stays_revoked(engine: Engine, in_one_batch: bool) -> None:
    created = recorded(
        UserCreated(username="youssef.agent", role="agent", sites=[AMIZMIZ], token_hash="ab" * 32),
        command_id="create-user-youssef",
    )
    revoked = recorded(UserRevoked(username="youssef.agent"), command_id="revoke-user-youssef")
    messages = [Message("aid.users", 0, 0, *created), Message("aid.users", 0, 1, *revoked)]

    for batch in [messages] if in_one_batch else [messages[:1], messages[1:]]:
        apply_batch(engine, UsersProjection(), batch)

    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == "youssef.agent")).one()
    assert (row.role, row.sites, row.revoked) == ("agent", [AMIZMIZ], True)


@pytest.mark.parametrize("in_one_batch", [True, False], ids=["one-batch", "batch-each"])
def test_a_user_moved_then_given_a_new_token_is_found_by_it_alone_with_the_new_scopes(
    engine: Engine, in_one_batch: bool
) -> None:
    pepper, salma = "a-pepper-kept-in-the-settings", "salma.operator"
    facts = [
        UserCreated(username=salma, role="operator", warehouses=[CASABLANCA],
                    token_hash=token_hash("aid_old", pepper), password_hash="$argon2id$kept"),
        UserScopesChanged(username=salma, warehouses=[MARRAKECH]),
        UserPasswordReset(username=salma, token_hash=token_hash("aid_new", pepper)),
    ]  # fmt: skip
    messages = [
        Message("aid.users", 0, offset, *recorded(fact, command_id=f"salma-{offset}"))
        for offset, fact in enumerate(facts)
    ]

    for batch in [messages] if in_one_batch else [[m] for m in messages]:
        apply_batch(engine, UsersProjection(), batch)

    assert find_user(engine, "aid_old", pepper) is None
    found = find_user(engine, "aid_new", pepper)
    assert found is not None and found.warehouses == frozenset({MARRAKECH})
    listed = users_queries.user(engine, salma)
    assert listed is not None and "password_hash" not in listed and listed["has_password"]
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == salma)).one()
    assert row.password_hash == "$argon2id$kept"


def al_haouz_site(name: str) -> LocationRegistered:
    return LocationRegistered(
        location_id=AMIZMIZ,
        name=name,
        kind="site",
        region_code="MA07",
        region_name="Marrakech-Safi",
        province_code="MA0702",
        province_name="Al Haouz",
    )


def test_a_registered_location_reads_back_as_registered(engine: Engine) -> None:
    registered = recorded(
        al_haouz_site("Site Amizmiz"), command_id="register:LocationRegistered:site-amizmiz"
    )

    apply_batch(engine, ReferenceProjection(), [Message("aid.reference", 0, 0, *registered)])

    assert queries.location(engine, AMIZMIZ) == al_haouz_site("Site Amizmiz").model_dump()
    assert queries.location(engine, "site-tahanaout") is None


def test_a_location_registered_twice_reads_the_same_however_the_batches_fell(
    engine: Engine,
) -> None:
    """Two coordinators registered Amizmiz at once, before either saw the other's row."""
    projection = ReferenceProjection()
    first = recorded(al_haouz_site("Site Amizmiz"), command_id="register-amizmiz-by-fatima")
    second = recorded(al_haouz_site("Amizmiz (souk)"), command_id="register-amizmiz-by-omar")
    messages = [Message("aid.reference", 0, 0, *first), Message("aid.reference", 0, 1, *second)]

    for message in messages:
        apply_batch(engine, projection, [message])
    live = queries.location(engine, AMIZMIZ)
    rebuild(engine, projection, messages)

    assert queries.location(engine, AMIZMIZ) == live
