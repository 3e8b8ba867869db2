"""Stories of Ramadan baskets assembled in Marrakech from bulk flour, sugar and oil, and
broken up again before they expire."""

from __future__ import annotations

from datetime import date

from events.kits import ComponentLine, KitComponent, KitsAssembled, KitsDisassembled
from services.domain.stock.kit_commands import AssembleKits, DisassembleKits
from tests.support.stock_stories import (
    DECEMBER_2026,
    JANUARY_2027,
    LAST_FEBRUARY,
    MARRAKECH,
    given,
    received,
)

BASKET, FLOUR, SUGAR, OIL = "ramadan-basket", "flour-kg", "sugar-kg", "oil-l"
RECIPE = [
    KitComponent(item_id=FLOUR, quantity=10),
    KitComponent(item_id=SUGAR, quantity=4),
    KitComponent(item_id=OIL, quantity=6),
]
NOVEMBER_2026 = date(2026, 11, 30)


def assemble(quantity: int, *, lot: str | None = None, version: int = 1) -> AssembleKits:
    return AssembleKits(
        assembly_id="asm-001",
        location_id=MARRAKECH,
        kit_item_id=BASKET,
        quantity=quantity,
        lot=lot,
        composition_version=version,
        components=RECIPE,
    )


def disassemble(quantity: int, lot: str | None = None) -> DisassembleKits:
    return DisassembleKits(
        disassembly_id="dis-001",
        location_id=MARRAKECH,
        kit_item_id=BASKET,
        quantity=quantity,
        lot=lot,
    )


def part(item: str, lot: str, quantity: int, expires_on: date | None = None) -> ComponentLine:
    return ComponentLine(item_id=item, lot=lot, expires_on=expires_on, quantity=quantity)


def bulk_stock() -> list:
    return [
        received(300, "FL-JAN", item=FLOUR, expires_on=JANUARY_2027, donation_id="don-wfp"),
        received(150, "FL-DEC", item=FLOUR, expires_on=DECEMBER_2026, donation_id="don-crm"),
        received(400, "SU-1", item=SUGAR),
        received(600, "OIL-NOV", item=OIL, expires_on=NOVEMBER_2026),
    ]


def test_baskets_take_components_fefo_and_expire_with_the_earliest_of_them() -> None:
    story = given(*bulk_stock()).when(assemble(20))

    after = story.then(
        KitsAssembled(
            assembly_id="asm-001",
            location_id=MARRAKECH,
            kit_item_id=BASKET,
            composition_version=1,
            quantity=20,
            lot="asm-001",
            expires_on=NOVEMBER_2026,
            components=[
                ComponentLine(item_id=FLOUR, lot="FL-DEC", expires_on=DECEMBER_2026,
                              donation_id="don-crm", quantity=150),
                ComponentLine(item_id=FLOUR, lot="FL-JAN", expires_on=JANUARY_2027,
                              donation_id="don-wfp", quantity=50),
                part(SUGAR, "SU-1", 80),
                part(OIL, "OIL-NOV", 120, NOVEMBER_2026),
            ],
        )
    )  # fmt: skip
    assert (after.on_hand(BASKET), after.on_hand(FLOUR), after.on_hand(SUGAR)) == (20, 250, 320)
    assert after.on_hand(OIL) == 480


def test_more_baskets_than_the_components_allow_are_refused_naming_each_short_one() -> None:
    refusal = (
        given(*bulk_stock())
        .when(assemble(100))
        .then_refused(
            "insufficient_components",
            short=[{"item_id": FLOUR, "needed": 1000, "available": 450}],  # sugar just enough
            possible=45,
        )
    )
    assert "flour-kg (needs 1000, has 450)" in refusal.message
    assert "allows 45" in refusal.message


def test_expired_components_never_go_into_baskets() -> None:
    stock = [*bulk_stock(), received(500, "SU-OLD", item=SUGAR, expires_on=LAST_FEBRUARY)]

    given(*stock).when(assemble(101)).then_refused(
        "insufficient_components",
        short=[
            {"item_id": FLOUR, "needed": 1010, "available": 450},
            {"item_id": SUGAR, "needed": 404, "available": 400},
            {"item_id": OIL, "needed": 606, "available": 600},
        ],
        possible=45,
    )


def test_a_kit_lot_code_already_used_is_rejected() -> None:
    assembled = given(*bulk_stock()).when(assemble(5, lot="RB-2026")).events

    given(*bulk_stock(), *assembled).when(assemble(5, lot="RB-2026")).then_rejected("lot_exists")


def test_the_composition_version_assembled_is_kept_on_the_kit_lot() -> None:
    story = given(*bulk_stock()).when(assemble(1, version=3))

    (event,) = story.events
    assert isinstance(event, KitsAssembled) and event.composition_version == 3


def test_baskets_broken_up_give_back_the_very_component_lots_they_held() -> None:
    assembled = given(*bulk_stock()).when(assemble(20)).events

    after = (
        given(*bulk_stock(), *assembled)
        .when(disassemble(16))
        .then(
            KitsDisassembled(
                disassembly_id="dis-001",
                location_id=MARRAKECH,
                kit_item_id=BASKET,
                quantity=16,
                lot="asm-001",
                expires_on=NOVEMBER_2026,
                components=[
                    ComponentLine(item_id=FLOUR, lot="FL-DEC", expires_on=DECEMBER_2026,
                                  donation_id="don-crm", quantity=150),
                    ComponentLine(item_id=FLOUR, lot="FL-JAN", expires_on=JANUARY_2027,
                                  donation_id="don-wfp", quantity=10),
                    part(SUGAR, "SU-1", 64),
                    part(OIL, "OIL-NOV", 96, NOVEMBER_2026),
                ],
            )
        )
    )  # fmt: skip
    assert after.on_hand(BASKET) == 4
    assert after.lot(FLOUR, "FL-DEC").on_hand == 150  # type: ignore[union-attr]
    assert (after.on_hand(FLOUR), after.on_hand(SUGAR), after.on_hand(OIL)) == (410, 384, 576)
    rest = [ln.quantity for ln in after.kit_contents[(BASKET, "asm-001")].lines]
    assert rest == [40, 16, 24]  # what the four baskets left still hold


def test_more_baskets_broken_up_than_are_held_is_refused() -> None:
    assembled = given(*bulk_stock()).when(assemble(20)).events

    given(*bulk_stock(), *assembled).when(disassemble(21)).then_refused(
        "insufficient_stock", available=20, requested=21
    )


def test_baskets_that_arrived_from_elsewhere_cannot_be_broken_up_here() -> None:
    given(received(10, "RB-CASA", item=BASKET)).when(disassemble(2)).then_refused(
        "kit_contents_unknown", lot="RB-CASA"
    )


def test_a_composition_naming_a_component_twice_never_takes_it_twice() -> None:
    twice = assemble(1).model_copy(update={"components": [*RECIPE, RECIPE[0]]})

    given(*bulk_stock()).when(twice).then_rejected("invalid_composition", field="components")
