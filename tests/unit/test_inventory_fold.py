"""The inventory fold: what receipts do to the lots on hand and to the stock card, in memory."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from events import Actor, Envelope, Event
from events.reference import LocationRegistered
from events.stock import StockReceived
from events.users import UserCreated
from projections.inventory import (
    Inventory,
    LotBalance,
    LotChange,
    LotKey,
    Movement,
    fold,
    lot_changes,
    movements,
    net_changes,
)
from tests.support.events import recorded

CASABLANCA, MARRAKECH, AMIZMIZ = "wh-casa", "wh-marrakech", "site-amizmiz"
BASKETS, TENTS, FLOUR = "food-basket", "tent-family", "flour-25kg"
MARCH_2024, JUNE_2024 = date(2024, 3, 31), date(2024, 6, 30)
STOREKEEPER = Actor(user_id="karim.operator", role="operator")

Recorded = tuple[Envelope, Event]


def received(
    receipt_id: str,
    quantity: int,
    *,
    location: str = CASABLANCA,
    item: str = BASKETS,
    lot: str = "RB-1",
    expires_on: date | None = None,
    actor: Actor = STOREKEEPER,
) -> Recorded:
    """A receipt as the receive-stock command recorded it."""
    event = StockReceived(
        receipt_id=receipt_id,
        location_id=location,
        item_id=item,
        quantity=quantity,
        lot=lot,
        expires_on=expires_on,
    )
    return recorded(event, command_id=receipt_id, actor=actor)


def credit(state: Inventory, net: dict[LotKey, LotChange]) -> Inventory:
    """Apply a batch's net changes the way a writer does: one update per lot."""
    result = dict(state)
    for key, change in net.items():
        current = result.get(key, LotBalance(change.expires_on, 0))
        result[key] = LotBalance(
            current.expires_on or change.expires_on, current.on_hand + change.delta
        )
    return result


def changes_of(stream: Iterable[Recorded]) -> list[LotChange]:
    return [change for envelope, event in stream for change in lot_changes(event)]


# --- stories -----------------------------------------------------------------------------------


def test_120_and_80_baskets_received_in_two_lots_are_held_as_two_lots_with_expiry() -> None:
    """Given 120 baskets received in Casablanca in lot RB-1 and 80 in lot RB-2."""
    inventory = fold(
        {},
        [
            received("rcpt-0001", 120, lot="RB-1", expires_on=MARCH_2024),
            received("rcpt-0002", 80, lot="RB-2", expires_on=JUNE_2024),
        ],
    )

    assert inventory == {
        LotKey(CASABLANCA, BASKETS, "RB-1"): LotBalance(MARCH_2024, 120),
        LotKey(CASABLANCA, BASKETS, "RB-2"): LotBalance(JUNE_2024, 80),
    }
    assert sum(lot.on_hand for lot in inventory.values()) == 200


def test_a_second_receipt_into_the_same_lot_tops_it_up_and_keeps_its_expiry() -> None:
    inventory = fold(
        {},
        [
            received("rcpt-0001", 120, lot="RB-1", expires_on=MARCH_2024),
            received("rcpt-0003", 30, lot="RB-1", expires_on=MARCH_2024),
        ],
    )

    assert inventory == {LotKey(CASABLANCA, BASKETS, "RB-1"): LotBalance(MARCH_2024, 150)}


def test_receipts_for_other_locations_or_items_stay_apart_even_with_the_same_lot_name() -> None:
    inventory = fold(
        {},
        [
            received("rcpt-0001", 120, location=CASABLANCA, item=BASKETS, lot="L-1"),
            received("rcpt-0002", 50, location=MARRAKECH, item=BASKETS, lot="L-1"),
            received("rcpt-0003", 30, location=CASABLANCA, item=TENTS, lot="L-1"),
        ],
    )

    assert inventory == {
        LotKey(CASABLANCA, BASKETS, "L-1"): LotBalance(None, 120),
        LotKey(MARRAKECH, BASKETS, "L-1"): LotBalance(None, 50),
        LotKey(CASABLANCA, TENTS, "L-1"): LotBalance(None, 30),
    }


def test_a_lot_first_received_without_expiry_takes_the_expiry_a_later_receipt_brings() -> None:
    first = received("rcpt-0001", 40, lot="RB-1")
    later = received("rcpt-0002", 60, lot="RB-1", expires_on=MARCH_2024)

    inventory = fold(fold({}, [first]), [later])

    assert inventory == {LotKey(CASABLANCA, BASKETS, "RB-1"): LotBalance(MARCH_2024, 100)}
    assert credit({}, net_changes(changes_of([first, later]))) == inventory


def test_folding_leaves_the_inventory_it_was_given_untouched() -> None:
    before = fold({}, [received("rcpt-0001", 120)])

    after = fold(before, [received("rcpt-0002", 80)])

    assert before == {LotKey(CASABLANCA, BASKETS, "RB-1"): LotBalance(None, 120)}
    assert after == {LotKey(CASABLANCA, BASKETS, "RB-1"): LotBalance(None, 200)}


def test_registering_a_location_or_a_user_moves_no_stock() -> None:
    location = recorded(
        LocationRegistered(
            location_id=AMIZMIZ,
            name="Site Amizmiz",
            kind="site",
            region_code="MA07",
            region_name="Marrakech-Safi",
        ),
        command_id="register:LocationRegistered:site-amizmiz",
    )
    user = recorded(
        UserCreated(username="youssef.agent", role="agent", token_hash="ab" * 32),
        command_id="create-user-youssef",
    )
    stock = fold({}, [received("rcpt-0001", 120)])

    for envelope, event in (location, user):
        assert lot_changes(event) == []
        assert movements(event, envelope) == []
    assert fold(stock, [location, user]) == stock


def test_net_changes_sum_a_batch_to_one_change_per_lot() -> None:
    batch = [
        received("rcpt-0001", 120, lot="RB-1", expires_on=MARCH_2024),
        received("rcpt-0002", 80, lot="RB-2", expires_on=JUNE_2024),
        received("rcpt-0003", 30, lot="RB-1", expires_on=MARCH_2024),
        received("rcpt-0004", 25, location=MARRAKECH, lot="RB-1", expires_on=MARCH_2024),
    ]

    net = net_changes(changes_of(batch))

    rb1, rb2 = LotKey(CASABLANCA, BASKETS, "RB-1"), LotKey(CASABLANCA, BASKETS, "RB-2")
    marrakech_rb1 = LotKey(MARRAKECH, BASKETS, "RB-1")
    assert net == {
        rb1: LotChange(rb1, MARCH_2024, 150),
        rb2: LotChange(rb2, JUNE_2024, 80),
        marrakech_rb1: LotChange(marrakech_rb1, MARCH_2024, 25),
    }


def test_each_receipt_writes_one_stock_card_line_naming_the_receipt_and_who_received_it() -> None:
    envelope, event = received(
        "rcpt-0042", 120, lot="RB-1", expires_on=MARCH_2024, actor=STOREKEEPER
    )

    lines = movements(event, envelope)

    assert lines == [
        Movement(
            event_id=envelope.event_id,
            line=0,
            change=LotChange(
                LotKey(CASABLANCA, BASKETS, "RB-1"), MARCH_2024, 120, "rcpt-0042", "received"
            ),
            kind="StockReceived",
            occurred_at=datetime(2023, 9, 9, 8, 0, tzinfo=UTC),
            actor="karim.operator",
        )
    ]


# --- properties --------------------------------------------------------------------------------

receipts = st.lists(
    st.builds(
        dict,
        location=st.sampled_from([CASABLANCA, MARRAKECH, AMIZMIZ]),
        item=st.sampled_from([BASKETS, TENTS, FLOUR]),
        lot=st.sampled_from(["RB-1", "RB-2", "T-9"]),
        quantity=st.integers(min_value=1, max_value=10**6),
        expires_on=st.none() | st.sampled_from([MARCH_2024, JUNE_2024]),
    ),
    max_size=40,
).map(lambda drawn: [received(f"rcpt-{i:04d}", **fields) for i, fields in enumerate(drawn)])


def batches_of(stream: Sequence[Recorded], cuts: Iterable[int]) -> list[Sequence[Recorded]]:
    bounds = [0, *sorted(cuts), len(stream)]
    return [stream[start:end] for start, end in pairwise(bounds)]


def cuts_within(stream: Sequence[Recorded]) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=10)


@given(stream=receipts, data=st.data())
def test_folding_receipts_in_batches_of_any_size_gives_the_same_inventory(
    stream: list[Recorded], data: st.DataObject
) -> None:
    batches = batches_of(stream, data.draw(cuts_within(stream), label="cuts"))

    in_batches: Inventory = {}
    for batch in batches:
        in_batches = fold(in_batches, batch)

    assert in_batches == fold({}, stream)
    total = sum(event.quantity for _, event in stream if isinstance(event, StockReceived))
    assert sum(lot.on_hand for lot in in_batches.values()) == total


@given(stream=receipts, data=st.data())
def test_a_batch_applied_as_net_changes_equals_folding_it_receipt_by_receipt(
    stream: list[Recorded], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(stream)), label="cut")
    state, batch = fold({}, stream[:cut]), stream[cut:]

    by_receipt = state
    for one in batch:
        by_receipt = fold(by_receipt, [one])

    assert credit(state, net_changes(changes_of(batch))) == by_receipt
