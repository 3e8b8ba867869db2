"""The Fondation Atlas's 300 kg of flour followed into Ramadan baskets and to the households
that got them.

  03-01 08:00  300 kg given at Marrakech (lot FL-ATL, the first to expire), 150 kg bought
  03-01 09:00  40 baskets assembled: 400 kg of flour, FEFO: all 300 kg of Atlas's, 100 bought
  03-01 10:00  20 baskets sent to Amizmiz, received at 15:00
  03-03 10:00  10 baskets handed to 10 households of Al Haouz
  03-03 12:00  4 baskets broken up at Marrakech: their flour goes back to its lots

The trace adds up at each step (what is inside kits counts as `in_kits`), and the donor sees
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
    GIFT,
    MARRAKECH,
    adds_up,
    distribute,
    donate,
    donors,
    march,
    ok,
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
        donors(harness, (ATLAS, "Fondation Atlas"))
        donate(harness, GIFT, ATLAS, MARRAKECH, 300, item_id=FLOUR, lot="FL-ATL",
               expires_on="2026-12-15")  # fmt: skip
        receive(harness, FLOUR, 150, "FL-BOUGHT", expires_on="2027-01-31")
        receive(harness, SUGAR, 400, "SU-1")
        receive(harness, OIL, 600, "OIL-1")
        harness.project_published()
        clock.moment = march(1, 9)
        ok(harness.post("admin", "/v1/stock/assemblies", {
            "id": "asm-atlas", "location_id": MARRAKECH, "kit_item_id": BASKET, "quantity": 40,
        }))  # fmt: skip
        harness.project_published()
        yield harness


def kits_of(found: dict[str, Any]) -> list[tuple[str, str, int, int]]:
    return [(k["lot"], k["item_id"], k["units"], k["kits"]) for k in found["through_kits"]["lots"]]


def test_flour_assembled_into_baskets_leaves_the_stock_for_the_kits(api: ApiHarness) -> None:
    found = trace(api, GIFT)

    assert (found["received"], where(found), found["in_kits"]) == (300, {}, 300)
    assert kits_of(found) == [("asm-atlas", FLOUR, 300, 40)]
    assert found["through_kits"]["units_handed"] == 0
    assert adds_up(found)
    card = ok(api.get("admin", f"/v1/inventory/{MARRAKECH}/{FLOUR}/card"), 200)["items"]
    taken = [ln for ln in card if ln["reference_id"] == "asm-atlas"]
    assert sorted((ln["lot"], ln["quantity"]) for ln in taken) == [
        ("FL-ATL", -300), ("FL-BOUGHT", -100),
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
    handed = found["through_kits"]["distributed"]

    assert (handed["quantity"], handed["households"]) == (10, 10)
    assert handed["by_region"] == [{"region_code": "MA07", "quantity": 10, "households": 10}]
    assert found["through_kits"]["units_handed"] == 75  # 10 baskets × 300 kg / 40
    assert found["distributed"]["quantity"] == 0  # no loose flour was handed out
    assert (found["in_kits"], adds_up(found)) == (300, True)

    clock.moment = march(3, 12)
    ok(api.post("admin", "/v1/stock/disassemblies", {
        "id": "dis-atlas", "location_id": MARRAKECH, "kit_item_id": BASKET, "quantity": 4,
    }))  # fmt: skip
    api.project_published()

    after = trace(api, GIFT)
    back = 300 - after["in_kits"]
    assert back > 0 and where(after) == {MARRAKECH: back}
    assert kits_of(after) == [("asm-atlas", FLOUR, 300 - back, 36)]
    assert adds_up(after)


def test_the_donor_page_shows_the_baskets_that_hold_the_gift(api: ApiHarness) -> None:
    api.create_user("atlas.donor", "donor", password=PASSWORD, donors=[ATLAS])
    sign_in(api, "donor", username="atlas.donor", password=PASSWORD)

    page = api.client.get("/donor")

    assert page.status_code == 200, page.text
    assert "Dans les paniers" in page.text
    assert "dans des paniers : <strong>300</strong>" in page.text
    assert "<td>asm-atlas</td>" in page.text
