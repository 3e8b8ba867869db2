"""The Fondation Atlas's 300 kg of flour followed into Ramadan baskets and to the households
that got them.

  03-01 08:00  300 kg given by Atlas at Marrakech (lot FL-ATL, the first to expire), 150 kg
               by the Croissant-Rouge (FL-CRM)
  03-01 09:00  40 baskets assembled: 400 kg of flour, FEFO: all 300 kg of Atlas's, 100 of
               the Croissant-Rouge's: the two donors' flour mixed in one kit lot
  03-01 10:00  20 baskets sent to Amizmiz, received at 15:00
  03-03 10:00  10 baskets handed to 10 households of Al Haouz
  03-03 12:00  4 baskets broken up at Marrakech: their flour goes back to its lots

The trace adds up at each step (what is inside kits counts in stock where the kits are, in
transit while they move, `in_kits` saying how much of it is in kits), and the donor sees
the baskets that hold their flour, where they went, and their share of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import SITE, ApiHarness
from tests.unit.test_kits_api import BASKET, FLOUR, OIL, SUGAR, define_components, receive
from tests.unit.test_relief_api import (
    ATLAS,
    CROISSANT,
    GIFT,
    MARRAKECH,
    OTHER_GIFT,
    adds_up,
    distribute,
    donate,
    donors,
    march,
    ok,
    on_hand,
    open_campaign,
    open_operation,
    pinned,
    register_households,
    trace,
    where,
)
from tests.unit.test_web_ui import PASSWORD, sign_in


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        clock = pinned(harness, march(1, 8))
        define_components(harness)
        donors(harness, (ATLAS, "Fondation Atlas"), (CROISSANT, "Croissant-Rouge marocain"))
        donate(harness, GIFT, ATLAS, MARRAKECH, 300, item_id=FLOUR, lot="FL-ATL",
               expires_on="2026-12-15")  # fmt: skip
        donate(harness, OTHER_GIFT, CROISSANT, MARRAKECH, 150, item_id=FLOUR, lot="FL-CRM",
               expires_on="2027-01-31")  # fmt: skip
        receive(harness, SUGAR, 400, "SU-1")
        receive(harness, OIL, 600, "OIL-1")
        harness.project_published()
        clock.moment = march(1, 9)
        ok(harness.post("admin", "/v1/stock/assemblies", {
            "id": "asm-atlas", "location_id": MARRAKECH, "kit_item_id": BASKET, "quantity": 40,
        }))  # fmt: skip
        harness.project_published()
        yield harness


def in_kits_at(found: dict[str, Any]) -> dict[str, int]:
    """Location -> the units of its stock inside kits."""
    return {at["location_id"]: at["in_kits"] for at in found["in_stock"] if at["in_kits"]}


def kits_of(found: dict[str, Any]) -> list[tuple[str, str, int, int]]:
    return [(k["lot"], k["item_id"], k["units"], k["kits"]) for k in found["through_kits"]["lots"]]


def test_flour_assembled_into_baskets_leaves_the_stock_for_the_kits(api: ApiHarness) -> None:
    found = trace(api, GIFT)

    # the flour is no longer on the shelves: all 300 kg are in baskets, still at Marrakech
    assert (found["received"], where(found), found["in_kits"]) == (300, {MARRAKECH: 300}, 300)
    assert in_kits_at(found) == {MARRAKECH: 300}
    assert kits_of(found) == [("asm-atlas", FLOUR, 300, 40)]
    assert found["through_kits"]["units_handed"] == 0
    assert adds_up(found)
    card = ok(api.get("admin", f"/v1/inventory/{MARRAKECH}/{FLOUR}/card"), 200)["items"]
    taken = [ln for ln in card if ln["reference_id"] == "asm-atlas"]
    assert sorted((ln["lot"], ln["quantity"]) for ln in taken) == [
        ("FL-ATL", -300), ("FL-CRM", -100),
    ]  # fmt: skip


def test_the_baskets_handed_out_take_the_donors_share_to_the_households(
    api: ApiHarness,
) -> None:
    clock = pinned(api, march(1, 10))
    body = {"id": "tr-baskets-amizmiz", "from_location_id": MARRAKECH, "to_location_id": SITE,
            "lines": [{"item_id": BASKET, "quantity": 20}]}  # fmt: skip
    ok(api.post("admin", "/v1/stock/transfers", body))
    api.project_published()
    clock.moment = march(1, 15)
    lines = {"lines": [{"item_id": BASKET, "quantity": 20}]}
    ok(api.post("admin", "/v1/stock/transfers/tr-baskets-amizmiz/receipt", lines))
    api.project_published()
    open_operation(api)
    open_campaign(api)  # a basket per household of Al Haouz
    register_households(api, 10)
    clock.moment = march(3, 10)
    distribute(api, 10)

    found = trace(api, GIFT)
    kits = found["through_kits"]

    assert (kits["kits_handed"]["quantity"], kits["kits_handed"]["households"]) == (10, 10)
    assert found["distributed"]["by_region"] == [
        {"region_code": "MA07", "quantity": 75, "households": 10}  # 10 baskets × 300 kg / 40
    ]
    assert (kits["units_handed"], found["distributed"]["quantity"]) == (75, 75)
    assert (found["in_kits"], adds_up(found)) == (225, True)
    other = trace(api, OTHER_GIFT)  # traced apart: its own share of the same baskets
    assert where(found) == {MARRAKECH: 150, SITE: 75}  # 20 and 10 baskets × 300 kg / 40
    assert in_kits_at(found) == where(found)
    # 50 kg of flour never put in baskets, and 20 baskets × 100 / 40 at Marrakech; 10 at the site
    assert (other["received"], where(other), other["in_kits"]) == (
        150, {MARRAKECH: 100, SITE: 25}, 75,
    )  # fmt: skip
    assert in_kits_at(other) == {MARRAKECH: 50, SITE: 25}
    assert (other["distributed"]["quantity"], adds_up(other)) == (25, True)

    clock.moment = march(3, 12)
    ok(api.post("admin", "/v1/stock/disassemblies", {
        "id": "dis-atlas", "location_id": MARRAKECH, "kit_item_id": BASKET, "quantity": 4,
    }))  # fmt: skip
    api.project_published()

    after = trace(api, GIFT)
    [(_, _, left, kits_left)] = kits_of(after)
    back = 300 - left
    assert kits_left == 36
    # flour again where broken up, beside the 16 baskets left there; 10 baskets at the site
    assert (where(after)[MARRAKECH] - in_kits_at(after)[MARRAKECH], back > 0) == (back, True)
    assert set(in_kits_at(after)) == {MARRAKECH, SITE}
    assert after["distributed"]["quantity"] == 10 * left // 36  # the share follows the lot
    assert adds_up(after)


def test_the_donor_page_shows_the_baskets_that_hold_the_gift(api: ApiHarness) -> None:
    api.create_user("atlas.donor", "donor", password=PASSWORD, donors=[ATLAS])
    sign_in(api, "donor", username="atlas.donor", password=PASSWORD)

    page = api.client.get("/donor")

    assert page.status_code == 200, page.text
    assert "Dans les paniers" in page.text
    assert "dans des paniers : <strong>300</strong>" in page.text  # none handed out yet
    assert "<td>asm-atlas</td>" in page.text


def test_more_baskets_handed_than_the_lot_held_never_take_more_flour_than_it_put_in(
    api: ApiHarness,
) -> None:
    """Baskets recorded at the site beyond its stock (offline, say) come out of no lot (the
    site's stock goes below zero unallocated): the donors' flour in the lot is all handed,
    and no more."""
    clock = pinned(api, march(1, 10))
    body = {"id": "tr-baskets-amizmiz", "from_location_id": MARRAKECH, "to_location_id": SITE,
            "lines": [{"item_id": BASKET, "quantity": 20}]}  # fmt: skip
    ok(api.post("admin", "/v1/stock/transfers", body))
    api.project_published()
    lines = {"lines": [{"item_id": BASKET, "quantity": 20}]}
    ok(api.post("admin", "/v1/stock/transfers/tr-baskets-amizmiz/receipt", lines))
    clock.moment = march(1, 12)
    ok(api.post("admin", "/v1/stock/disassemblies", {
        "id": "dis-rest", "location_id": MARRAKECH, "kit_item_id": BASKET, "quantity": 20,
    }))  # fmt: skip
    api.project_published()
    open_operation(api)
    open_campaign(api)
    register_households(api, 25)
    clock.moment = march(3, 10)
    distribute(api, 25)

    found, other = trace(api, GIFT), trace(api, OTHER_GIFT)

    assert on_hand(api, location_id=SITE, item_id=BASKET) == -5
    assert (found["in_kits"], other["in_kits"]) == (0, 0)
    assert found["distributed"]["quantity"] + other["distributed"]["quantity"] == 200
    assert adds_up(found) and adds_up(other)


def test_baskets_on_their_way_carry_the_gift_in_transit_until_they_arrive(
    api: ApiHarness,
) -> None:
    clock = pinned(api, march(1, 10))
    body = {"id": "tr-baskets-amizmiz", "from_location_id": MARRAKECH, "to_location_id": SITE,
            "lines": [{"item_id": BASKET, "quantity": 20}]}  # fmt: skip
    ok(api.post("admin", "/v1/stock/transfers", body))
    api.project_published()

    on_the_way, other = trace(api, GIFT), trace(api, OTHER_GIFT)

    # 20 of the lot's 40 baskets, each holding 300 / 40 kg of Atlas's flour, 100 / 40 of the
    # Croissant-Rouge's
    assert (on_the_way["in_kits"], on_the_way["in_kits_in_transit"]) == (300, 150)
    assert (other["in_kits"], other["in_kits_in_transit"]) == (100, 50)
    # the flour itself moves inside the baskets only, and the rest stays at Marrakech
    assert (on_the_way["in_transit"], where(on_the_way)) == (150, {MARRAKECH: 150})
    assert adds_up(on_the_way) and adds_up(other)

    clock.moment = march(1, 15)
    lines = {"lines": [{"item_id": BASKET, "quantity": 20}]}
    ok(api.post("admin", "/v1/stock/transfers/tr-baskets-amizmiz/receipt", lines))
    api.project_published()

    arrived = trace(api, GIFT)
    assert (arrived["in_kits"], arrived["in_kits_in_transit"]) == (300, 0)  # in stock again
    assert (arrived["in_transit"], where(arrived)) == (0, {MARRAKECH: 150, SITE: 150})
    assert adds_up(arrived)


def test_a_basket_lost_on_the_way_leaves_the_transit_for_the_losses(api: ApiHarness) -> None:
    body = {"id": "tr-baskets-amizmiz", "from_location_id": MARRAKECH, "to_location_id": SITE,
            "lines": [{"item_id": BASKET, "quantity": 20}]}  # fmt: skip
    ok(api.post("admin", "/v1/stock/transfers", body))
    api.project_published()
    lines = {"lines": [{"item_id": BASKET, "quantity": 16}]}  # 4 baskets missing
    ok(api.post("admin", "/v1/stock/transfers/tr-baskets-amizmiz/receipt", lines))
    api.project_published()

    found = trace(api, GIFT)

    assert (found["in_kits"], found["in_kits_in_transit"], found["lost"]) == (270, 0, 30)
    assert where(found) == {MARRAKECH: 150, SITE: 120}  # 16 baskets arrived
    assert adds_up(found)


def test_the_donor_page_says_where_the_baskets_holding_the_gift_are(api: ApiHarness) -> None:
    body = {"id": "tr-baskets-amizmiz", "from_location_id": MARRAKECH, "to_location_id": SITE,
            "lines": [{"item_id": BASKET, "quantity": 8}]}  # fmt: skip
    ok(api.post("admin", "/v1/stock/transfers", body))
    api.project_published()
    api.create_user("atlas.donor", "donor", password=PASSWORD, donors=[ATLAS])
    sign_in(api, "donor", username="atlas.donor", password=PASSWORD)

    page = api.client.get("/donor")

    assert page.status_code == 200, page.text
    assert "votre don compte 240 unités en stock et 60 en route" in page.text  # 8 × 300 / 40


def test_baskets_a_count_found_beyond_those_assembled_never_carry_more_than_the_lot_held(
    api: ApiHarness,
) -> None:
    """A count at Marrakech finds 50 baskets of the 40 assembled, and all 50 are handed out:
    which 10 were found nobody knows, so the flour spreads over the 50 that left. Atlas's
    300 kg all reached households, never more, and nothing is left inside baskets."""
    clock = pinned(api, march(1, 10))
    counted = {"id": "count-found", "location_id": MARRAKECH, "item_id": BASKET, "lot": "asm-atlas"}
    ok(api.post("admin", "/v1/stock/counts", counted | {"counted_quantity": 50}))
    api.project_published()
    body = {"id": "tr-all-baskets", "from_location_id": MARRAKECH, "to_location_id": SITE,
            "lines": [{"item_id": BASKET, "quantity": 50}]}  # fmt: skip
    ok(api.post("admin", "/v1/stock/transfers", body))
    api.project_published()
    clock.moment = march(1, 15)
    lines = {"lines": [{"item_id": BASKET, "quantity": 50}]}
    ok(api.post("admin", "/v1/stock/transfers/tr-all-baskets/receipt", lines))
    api.project_published()
    open_operation(api)
    open_campaign(api)
    register_households(api, 50)
    clock.moment = march(3, 10)
    distribute(api, 50)

    found = trace(api, GIFT)

    assert found["through_kits"]["kits_handed"]["quantity"] == 50
    assert (found["distributed"]["quantity"], found["lost"], found["in_kits"]) == (300, 0, 0)
    assert adds_up(found)
    other = trace(api, OTHER_GIFT)  # 100 kg in the baskets, 50 kg still flour at Marrakech
    assert (other["distributed"]["quantity"], other["in_kits"], where(other)) == (
        100, 0, {MARRAKECH: 50},
    )  # fmt: skip
