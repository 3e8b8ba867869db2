"""The assembly form's preview over HTTP: which flour, sugar and oil lots 20 Ramadan baskets
would take in Marrakech, first expiring first, and that the assembly then takes exactly
those; the short component named when the stock cannot make them; nothing shown to the
operator of another warehouse.

Marrakech holds flour in two lots, FL-DEC (150 kg, expiring 2026-12-15) and FL-JAN (300 kg,
2027-01-31), 400 kg of sugar and 600 l of oil; a basket is 10 kg flour, 4 kg sugar, 6 l oil.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api import deps
from tests.support.api import ApiHarness
from tests.unit.test_kits_api import (
    BASKET,
    CASABLANCA,
    FLOUR,
    MARRAKECH,
    OIL,
    SUGAR,
    assemble,
    ok,
    receive,
    stocked_marrakech,
)

PREVIEW = "/v1/stock/assemblies/preview"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        harness.app.dependency_overrides[deps.now] = lambda: datetime(2026, 3, 3, 9, tzinfo=UTC)
        stocked_marrakech(harness)
        yield harness


def preview(api: ApiHarness, quantity: Any, who: str = "admin", **params: Any) -> Any:
    asked = {"location_id": MARRAKECH, "kit_item_id": BASKET, "quantity": quantity} | params
    return api.get(who, PREVIEW, asked)


def taken(found: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    return {
        c["item_id"]: [(lot["lot"], lot["quantity"]) for lot in c["lots"]]
        for c in found["components"]
    }


def test_the_preview_takes_the_flour_expiring_first_then_the_next_lot(api: ApiHarness) -> None:
    found = ok(preview(api, 20), 200)

    assert taken(found) == {
        FLOUR: [("FL-DEC", 150), ("FL-JAN", 50)],
        OIL: [("OIL-NOV", 120)],
        SUGAR: [("SU-1", 80)],
    }
    [flour] = [c for c in found["components"] if c["item_id"] == FLOUR]
    assert [lot["expires_on"] for lot in flour["lots"]] == ["2026-12-15", "2027-01-31"]
    assert (flour["per_kit"], flour["needed"]) == (10, 200)
    assert (found["expires_on"], found["composition_version"]) == ("2026-11-30", 1)


def test_the_assembly_then_takes_exactly_the_lots_previewed(api: ApiHarness) -> None:
    found = ok(preview(api, 20), 200)

    ok(assemble(api, 20))
    api.project_published()

    for item, lots in taken(found).items():
        card = ok(api.get("admin", f"/v1/inventory/{MARRAKECH}/{item}/card"), 200)["items"]
        consumed = [(ln["lot"], -ln["quantity"]) for ln in card if ln["kind"] == "KitsAssembled"]
        assert consumed == lots, item


def test_expired_flour_is_never_previewed(api: ApiHarness) -> None:
    receive(api, FLOUR, 100, "FL-OLD", expires_on="2026-02-28")  # expired before 03-03
    api.project_published()

    found = ok(preview(api, 5), 200)

    assert taken(found)[FLOUR] == [("FL-DEC", 50)]


def test_short_components_are_named_with_the_baskets_the_stock_allows(api: ApiHarness) -> None:
    r = preview(api, 110)

    assert r.status_code == 409, r.text
    body = r.json()
    assert (body["error"], body["possible"]) == ("insufficient_components", 45)
    assert body["short"] == [
        {"item_id": FLOUR, "needed": 1100, "available": 450},
        {"item_id": OIL, "needed": 660, "available": 600},
        {"item_id": SUGAR, "needed": 440, "available": 400},
    ]
    assert "allows 45" in body["message"]


def test_the_operator_of_another_warehouse_sees_no_preview(api: ApiHarness) -> None:
    elsewhere = preview(api, 1, who="operator")  # assigned to Casablanca only
    at_home = preview(api, 1, who="operator", location_id=CASABLANCA)

    assert elsewhere.status_code == 403, elsewhere.text
    assert at_home.status_code == 409, at_home.text  # Casablanca holds no flour
    assert at_home.json()["possible"] == 0
    assert preview(api, 1, who="donor").status_code == 403


@pytest.mark.parametrize("quantity", ["0", "-3", "1000000000", "two"])
def test_a_quantity_that_is_not_a_positive_number_is_a_422(api: ApiHarness, quantity: str) -> None:
    r = preview(api, quantity)

    assert r.status_code == 422, r.text


def test_an_unknown_kit_or_a_site_is_a_422_naming_the_field(api: ApiHarness) -> None:
    not_a_kit = preview(api, 1, kit_item_id=FLOUR)
    unknown = preview(api, 1, location_id="wh-tanger")

    assert (not_a_kit.status_code, not_a_kit.json()["field"]) == (422, "kit_item_id")
    assert (unknown.status_code, unknown.json()["field"]) == (422, "location_id")
