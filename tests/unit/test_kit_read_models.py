"""The kit read models on every database: compositions kept version by version, assembly
lines on the stock card and on hand, the kits each warehouse's stock makes, and a
donation's share of kits on their way.
Written once, run on SQLite and (with AID_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine

from events import Event, decode, encode
from events.envelope import SYSTEM
from events.kits import ComponentLine, KitComponent, KitCompositionSet, KitsAssembled
from events.reference import ItemDefined, LocationRegistered
from events.serialization import event_id_for, wrap
from events.stock import StockReceived, TransferDispatched, TransferLine
from projections import kit_queries, queries, relief_queries, stock_queries
from projections.registry import PROJECTIONS
from projections.writer import Message, apply_batch

KECH, BASKET, FLOUR, SUGAR = "wh-marrakech", "ramadan-basket", "flour-kg", "sugar-kg"
TODAY = date(2026, 3, 3)


def project(engine: Engine, stream: str, *events: Event) -> None:
    messages = []
    for offset, event in enumerate(events):
        envelope = wrap(
            event, event_id=event_id_for(f"{stream}-{offset}", 0),
            occurred_at=datetime(2026, 3, 3, 9, offset, tzinfo=UTC),
            recorded_at=datetime(2026, 3, 3, 9, offset, tzinfo=UTC), actor=SYSTEM,
            correlation_id="c", causation_id=f"{stream}-{offset}",
        )  # fmt: skip
        messages.append(Message(f"aid.{stream}", 0, offset, *decode(encode(envelope))))
    for projection in PROJECTIONS.values():
        if stream in projection.streams:
            apply_batch(engine, projection, messages)


def recipe(version: int, flour: int) -> KitCompositionSet:
    parts = [KitComponent(item_id=FLOUR, quantity=flour), KitComponent(item_id=SUGAR, quantity=4)]
    return KitCompositionSet(kit_item_id=BASKET, version=version, components=parts)


def test_kits_on_the_read_models(engine: Engine) -> None:
    project(
        engine, "reference",
        LocationRegistered(location_id=KECH, name="Entrepôt Marrakech", kind="warehouse",
                           region_code="MA07", region_name="Marrakech-Safi"),
        ItemDefined(item_id=FLOUR, name="Farine", unit="kg", weight_kg="1", pack_size=25),
        recipe(1, 10),
        recipe(2, 8),
    )  # fmt: skip
    project(
        engine, "stock",
        StockReceived(receipt_id="r-1", location_id=KECH, item_id=FLOUR, quantity=250, lot="FL"),
        StockReceived(receipt_id="r-2", location_id=KECH, item_id=SUGAR, quantity=90, lot="SU"),
        StockReceived(receipt_id="r-3", location_id=KECH, item_id=SUGAR, quantity=500, lot="OLD",
                      expires_on=date(2026, 2, 1)),
        KitsAssembled(assembly_id="asm-1", location_id=KECH, kit_item_id=BASKET,
                      composition_version=2, quantity=10, lot="RB-1",
                      components=[ComponentLine(item_id=FLOUR, lot="FL", quantity=80),
                                  ComponentLine(item_id=SUGAR, lot="SU", quantity=40)]),
    )  # fmt: skip

    assert kit_queries.composition(engine, BASKET) == {
        "kit_item_id": BASKET, "version": 2,
        "components": [{"item_id": FLOUR, "quantity": 8}, {"item_id": SUGAR, "quantity": 4}],
    }  # fmt: skip
    first = kit_queries.composition(engine, BASKET, version=1)
    assert first is not None and first["components"][0]["quantity"] == 10
    assert kit_queries.kits_holding(engine, SUGAR) == [BASKET]
    flour = queries.item(engine, FLOUR)
    assert flour is not None and (flour["weight_kg"], flour["pack_size"]) == ("1", 25)
    card = stock_queries.stock_card(engine, KECH, FLOUR)
    assert [(r["kind"], r["quantity"], r["balance"]) for r in card.items] == [
        ("StockReceived", 250, 250), ("KitsAssembled", -80, 170),
    ]  # fmt: skip
    assert [r["balance"] for r in stock_queries.stock_card(engine, KECH, BASKET).items] == [10]
    page, totals = kit_queries.kits_possible(engine, TODAY, [KECH])
    [row] = page.items
    assert (row["possible"], row["limited_by"]) == (12, SUGAR)  # 50 kg of sugar not expired
    assert totals == [{"kit_item_id": BASKET, "on_hand": 10, "possible": 12}]
    assert kit_queries.lots_at(engine, KECH, [SUGAR]) == [  # what an assembly preview picks from
        {"item_id": SUGAR, "lot": "OLD", "expires_on": date(2026, 2, 1), "on_hand": 500},
        {"item_id": SUGAR, "lot": "SU", "expires_on": None, "on_hand": 50},
    ]


def test_kits_on_their_way_carry_their_share_of_a_donation_in_transit(engine: Engine) -> None:
    gift = {"item_id": FLOUR, "lot": "FL-ATL", "donation_id": "don-atlas"}
    project(
        engine, "stock",
        StockReceived(receipt_id="r-1", location_id=KECH, quantity=100, **gift),
        KitsAssembled(assembly_id="asm-1", location_id=KECH, kit_item_id=BASKET,
                      composition_version=1, quantity=10, lot="RB-1",
                      components=[ComponentLine(quantity=100, **gift)]),
        TransferDispatched(transfer_id="tr-1", from_location_id=KECH,
                           to_location_id="site-amizmiz",
                           lines=[TransferLine(item_id=BASKET, lot="RB-1", quantity=4)]),
    )  # fmt: skip

    found = relief_queries.trace(engine, "don-atlas")

    assert (found["received"], found["in_kits"], found["in_kits_in_transit"]) == (100, 100, 40)
