"""Ramadan baskets over HTTP: items with weights, the basket's composition and its versions,
baskets assembled in Marrakech from flour, sugar and oil, broken up again, and how many the
stock can still make.

Each story drives the real app through `ApiHarness` (real deciders, in-memory publisher) and
projects what was published before reading, as a worker would.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api import deps
from tests.support.api import SITE, ApiHarness

MARRAKECH, CASABLANCA = "wh-marrakech", "wh-casablanca"
BASKET, FLOUR, SUGAR, OIL = "ramadan-basket", "flour-kg", "sugar-kg", "oil-l"
RECIPE = [{"item_id": FLOUR, "quantity": 10}, {"item_id": SUGAR, "quantity": 4},
          {"item_id": OIL, "quantity": 6}]  # fmt: skip


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        harness.app.dependency_overrides[deps.now] = lambda: datetime(2026, 3, 3, 9, tzinfo=UTC)
        yield harness


def ok(r: Any, status: int = 201) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    return body


def define_components(api: ApiHarness) -> None:
    for item, unit, weight in ((FLOUR, "kg", "1"), (SUGAR, "kg", "1"), (OIL, "l", "0.92")):
        body = {"id": item, "name": item, "unit": unit, "weight_kg": weight}
        ok(api.post("coordinator", "/v1/items", body))
    api.project_published()
    ok(api.post("coordinator", f"/v1/items/{BASKET}/composition", {"components": RECIPE}))
    api.project_published()


def receive(api: ApiHarness, item: str, quantity: int, lot: str, **fields: Any) -> None:
    body = {"id": f"rcpt-{lot}".lower(), "location_id": MARRAKECH, "item_id": item,
            "quantity": quantity, "lot": lot} | fields  # fmt: skip
    ok(api.post("admin", "/v1/stock/receipts", body))


def stocked_marrakech(api: ApiHarness) -> None:
    define_components(api)
    receive(api, FLOUR, 300, "FL-JAN", expires_on="2027-01-31")
    receive(api, FLOUR, 150, "FL-DEC", expires_on="2026-12-15")
    receive(api, SUGAR, 400, "SU-1")
    receive(api, OIL, 600, "OIL-NOV", expires_on="2026-11-30")
    api.project_published()


def assemble(api: ApiHarness, quantity: int, **fields: Any) -> Any:
    body = {"id": "asm-001", "location_id": MARRAKECH, "kit_item_id": BASKET,
            "quantity": quantity} | fields  # fmt: skip
    return api.post("admin", "/v1/stock/assemblies", body)


def on_hand(api: ApiHarness, item: str) -> dict[str, int]:
    rows = ok(api.get("admin", "/v1/inventory", {"location_id": MARRAKECH, "item_id": item}), 200)
    return {row["lot"]: row["on_hand"] for row in rows["items"]}


def test_an_item_carries_its_pack_size_and_exact_weight(api: ApiHarness) -> None:
    body = {"id": "milk-l", "name": "Lait UHT", "unit": "l", "pack_size": 12,
            "weight_kg": "1.03", "volume_l": "1"}  # fmt: skip
    answer = ok(api.post("coordinator", "/v1/items", body))
    api.project_published()

    listed = ok(api.get("admin", "/v1/items"), 200)["items"]

    assert answer["weight_kg"] == "1.03"
    [milk] = [i for i in listed if i["id"] == "milk-l"]
    assert (milk["pack_size"], milk["weight_kg"], milk["volume_l"]) == (12, "1.03", "1")
    assert api.post("coordinator", "/v1/items", body | {"weight_kg": "1,03"}).status_code == 422


def test_a_new_composition_is_a_new_version_and_the_same_again_records_nothing(
    api: ApiHarness,
) -> None:
    define_components(api)
    path = f"/v1/items/{BASKET}/composition"

    same = api.post("coordinator", path, {"components": RECIPE})
    second = ok(api.post("coordinator", path, {"components": RECIPE[:2]}))
    api.project_published()

    assert same.status_code == 200, same.text
    assert second["version"] == 2
    current = ok(api.get("admin", path), 200)
    assert (current["version"], [c["item_id"] for c in current["components"]]) == (
        2,
        [FLOUR, SUGAR],
    )


def test_a_kit_holds_no_kit_and_only_known_items(api: ApiHarness) -> None:
    define_components(api)

    inside = api.post("coordinator", f"/v1/items/{FLOUR}/composition",
                      {"components": [{"item_id": SUGAR, "quantity": 1}]})  # fmt: skip
    of_kit = api.post("coordinator", "/v1/items/flour-25kg/composition",
                      {"components": [{"item_id": BASKET, "quantity": 1}]})  # fmt: skip
    unknown = api.post("coordinator", "/v1/items/flour-25kg/composition",
                       {"components": [{"item_id": "tea-kg", "quantity": 1}]})  # fmt: skip

    assert (inside.status_code, inside.json()["field"]) == (422, "kit_item_id")
    assert (of_kit.status_code, of_kit.json()["field"]) == (422, "components.item_id")
    assert (unknown.status_code, unknown.json()["field"]) == (422, "components.item_id")


def test_baskets_assembled_in_marrakech_take_components_fefo_and_show_on_every_card(
    api: ApiHarness,
) -> None:
    stocked_marrakech(api)

    answer = ok(assemble(api, 20, lot="RB-2026-03"))
    api.project_published()

    [event] = answer["events"]
    assert event["data"]["expires_on"] == "2026-11-30"
    assert on_hand(api, BASKET) == {"RB-2026-03": 20}
    assert on_hand(api, FLOUR) == {"FL-JAN": 250}
    card = ok(api.get("admin", f"/v1/inventory/{MARRAKECH}/{FLOUR}/card"), 200)["items"]
    assert [(ln["kind"], ln["lot"], ln["quantity"], ln["balance"]) for ln in card][-2:] == [
        ("KitsAssembled", "FL-DEC", -150, 300),
        ("KitsAssembled", "FL-JAN", -50, 250),
    ]
    basket_card = ok(api.get("admin", f"/v1/inventory/{MARRAKECH}/{BASKET}/card"), 200)["items"]
    assert [(ln["kind"], ln["quantity"], ln["reference_id"]) for ln in basket_card] == [
        ("KitsAssembled", 20, "asm-001")
    ]


def test_too_many_baskets_is_a_409_naming_the_short_components_and_the_possible_count(
    api: ApiHarness,
) -> None:
    stocked_marrakech(api)

    r = assemble(api, 110)

    assert r.status_code == 409, r.text
    body = r.json()
    assert body["error"] == "insufficient_components"
    assert body["possible"] == 45
    assert body["short"] == [
        {"item_id": FLOUR, "needed": 1100, "available": 450},
        {"item_id": OIL, "needed": 660, "available": 600},
        {"item_id": SUGAR, "needed": 440, "available": 400},
    ]
    assert api.published("stock")[-1].type == "StockReceived"  # nothing assembled


def test_an_assembly_repeated_answers_200_and_assembles_once(api: ApiHarness) -> None:
    stocked_marrakech(api)

    ok(assemble(api, 5))
    again = assemble(api, 5)
    api.project_published()

    assert again.status_code == 200, again.text
    assert on_hand(api, BASKET) == {"asm-001": 5}


def test_baskets_broken_up_give_their_components_back_to_their_lots(api: ApiHarness) -> None:
    stocked_marrakech(api)
    ok(assemble(api, 20))
    api.project_published()

    body = {"id": "dis-001", "location_id": MARRAKECH, "kit_item_id": BASKET, "quantity": 5}
    ok(api.post("admin", "/v1/stock/disassemblies", body))
    api.project_published()

    assert on_hand(api, BASKET) == {"asm-001": 15}
    assert on_hand(api, FLOUR) == {"FL-DEC": 50, "FL-JAN": 250}
    assert on_hand(api, OIL) == {"OIL-NOV": 510}


def test_kits_are_assembled_in_warehouses_only(api: ApiHarness) -> None:
    define_components(api)

    r = assemble(api, 1, location_id=SITE)

    assert (r.status_code, r.json()["field"]) == (422, "location_id")


def test_how_many_baskets_each_warehouse_can_make_and_what_limits_it(api: ApiHarness) -> None:
    stocked_marrakech(api)
    ok(assemble(api, 20))
    api.project_published()

    answer = ok(api.get("coordinator", "/v1/inventory/kits"), 200)

    assert [(r["location_id"], r["possible"], r["limited_by"]) for r in answer["items"]] == [
        (CASABLANCA, 0, FLOUR),
        (MARRAKECH, 25, FLOUR),
    ]
    assert answer["totals"] == [{"kit_item_id": BASKET, "on_hand": 20, "possible": 25}]
    [kech] = ok(api.get("coordinator", "/v1/inventory/kits", {"location_id": MARRAKECH}), 200)[
        "items"
    ]
    assert kech["components"] == [
        {"item_id": FLOUR, "per_kit": 10, "available": 250},
        {"item_id": OIL, "per_kit": 6, "available": 480},
        {"item_id": SUGAR, "per_kit": 4, "available": 320},
    ]


def test_the_kits_list_is_paged(api: ApiHarness) -> None:
    stocked_marrakech(api)

    first = ok(api.get("coordinator", "/v1/inventory/kits", {"limit": 1}), 200)
    second = ok(
        api.get("coordinator", "/v1/inventory/kits", {"limit": 1, "cursor": first["next"]}), 200
    )

    assert [r["location_id"] for r in first["items"] + second["items"]] == [CASABLANCA, MARRAKECH]
    assert second["next"] is None
    assert first["totals"] == [{"kit_item_id": BASKET, "on_hand": 0, "possible": 45}]


def test_reports_weigh_items_and_baskets_by_their_components_in_tonnes(api: ApiHarness) -> None:
    stocked_marrakech(api)
    ok(assemble(api, 40))  # 40 × (10 kg flour + 4 kg sugar + 6 l oil at 0.92 kg) = 780.8 kg
    api.project_published()

    report = api.get("auditor", "/v1/reports/stock.csv")
    headers, tags, *rows = list(csv.reader(io.StringIO(report.text)))
    weight = {(row[4], row[5]): row[tags.index("#x_weight+tonnes")] for row in rows}

    assert headers[tags.index("#x_weight+tonnes")] == "Weight (t)"
    assert weight[("Panier alimentaire Ramadan", "asm-001")] == "0.781"
    assert weight[(FLOUR, "FL-JAN")] == "0.050"  # 300 - 250 kg left
    assert weight[(OIL, "OIL-NOV")] == "0.331"  # 360 l at 0.92 kg


def test_oil_received_in_cartons_is_kept_in_litres(api: ApiHarness) -> None:
    body = {"id": "oil-l-12", "name": "Huile 1 l", "unit": "l", "pack_size": 12}
    ok(api.post("coordinator", "/v1/items", body))
    ok(api.post("coordinator", "/v1/items", {"id": "tea-g", "name": "Thé", "unit": "g"}))
    api.project_published()

    cartons = {"id": "rcpt-oil-cartons", "location_id": MARRAKECH, "item_id": "oil-l-12",
               "packs": 25, "lot": "OIL-CT"}  # fmt: skip
    answer = ok(api.post("admin", "/v1/stock/receipts", cartons))
    no_packs = api.post("admin", "/v1/stock/receipts", {
        "location_id": MARRAKECH, "item_id": "tea-g", "packs": 3,
    })  # fmt: skip
    both = api.post("admin", "/v1/stock/receipts", cartons | {"id": "rcpt-2", "quantity": 5})
    api.project_published()

    assert answer["quantity"] == 300
    assert on_hand(api, "oil-l-12") == {"OIL-CT": 300}
    assert (no_packs.status_code, no_packs.json()["field"]) == (422, "packs")
    assert "no pack size" in no_packs.json()["message"]
    assert both.status_code == 422 and "either quantity" in both.json()["message"]
