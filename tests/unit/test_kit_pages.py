"""The operator's assembly form without a browser: the "can make" figure beside it, baskets
assembled from it, the refusal in words, and the flour card showing the assembly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from events.households import AidDistributed, CampaignOpened, HouseholdRegistered
from events.kits import KitComponent, KitCompositionSet
from events.reference import ItemDefined
from events.stock import StockReceived
from tests.support.api import ROLE_SCOPES, USERNAMES, ApiHarness
from tests.unit.test_web_ui import PASSWORD, csrf_of, sign_in

CASABLANCA, BASKET, FLOUR, SUGAR = "wh-casablanca", "ramadan-basket", "flour-kg", "sugar-kg"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    """The Casablanca operator, with 100 kg of flour and 30 kg of sugar for 10 + 4 kg baskets."""
    with ApiHarness(tmp_path, auto_project=True) as harness:
        harness.create_user(
            USERNAMES["operator"], "operator", password=PASSWORD, **ROLE_SCOPES["operator"]
        )
        harness.create_user(USERNAMES["coordinator"], "coordinator", password=PASSWORD)  # fmt: skip
        harness.apply(
            ItemDefined(item_id=FLOUR, name="Farine", unit="kg", weight_kg="1"),
            ItemDefined(item_id=SUGAR, name="Sucre", unit="kg", weight_kg="1"),
            KitCompositionSet(kit_item_id=BASKET, version=1, components=[
                KitComponent(item_id=FLOUR, quantity=10), KitComponent(item_id=SUGAR, quantity=4)
            ]),
            StockReceived(receipt_id="r-flour", location_id=CASABLANCA, item_id=FLOUR,
                          quantity=100, lot="FL-1"),
            StockReceived(receipt_id="r-sugar", location_id=CASABLANCA, item_id=SUGAR,
                          quantity=30, lot="SU-1"),
        )  # fmt: skip
        sign_in(harness, "operator")
        yield harness


def assemble(api: ApiHarness, quantity: str) -> httpx.Response:
    form = api.client.get("/operator/assembly")
    body = {"csrf": csrf_of(form.text), "form_id": "asm-form-1", "location_id": CASABLANCA,
            "kit_item_id": BASKET, "quantity": quantity}  # fmt: skip
    return api.client.post("/operator/assembly", data=body, follow_redirects=False)


def test_the_assembly_form_says_how_many_baskets_the_stock_makes(api: ApiHarness) -> None:
    page = api.client.get("/operator/assembly")

    assert page.status_code == 200, page.text
    assert "le stock permet 7 (limité par Sucre)" in page.text


def test_baskets_assembled_from_the_form_show_on_the_flour_card(api: ApiHarness) -> None:
    answer = assemble(api, "5")

    assert answer.status_code == 303, answer.text
    card = api.client.get("/operator/card", params={"location_id": CASABLANCA, "item_id": FLOUR})
    assert "Assemblage de kits" in card.text
    assert "le stock permet 2" in api.client.get("/operator/assembly").text


def test_too_many_baskets_are_refused_in_words_next_to_the_quantity(api: ApiHarness) -> None:
    answer = assemble(api, "9")

    assert answer.status_code == 409
    assert "sugar-kg (36 / 30)" in answer.text
    assert "flour-kg (90 / 100)" not in answer.text  # enough flour: not named
    assert "le stock d&#39;ici en permet 7 au plus" in answer.text


def test_the_coordinator_sees_baskets_assembled_and_possible_per_warehouse(
    api: ApiHarness,
) -> None:
    assemble(api, "5")
    api.client.cookies.clear()
    sign_in(api, "coordinator")

    page = api.client.get("/coordinator/kits")

    assert page.status_code == 200, page.text
    casablanca = r"<tr><td>Panier alimentaire Ramadan</td><td>Entrepôt Casablanca</td>(.*?)</tr>"
    row = re.search(casablanca, page.text)
    assert row is not None, page.text
    assert re.findall(r'class="num">(\d+)<', row.group(1)) == ["5", "2"]
    assert "Sucre" in row.group(1)


def test_the_stock_page_weighs_each_lot(api: ApiHarness) -> None:
    assert assemble(api, "5").status_code == 303
    page = api.client.get(f"/operator?location_id={CASABLANCA}")

    assert page.status_code == 200, page.text
    flour = re.search(r"<td>FL-1</td>.*?</tr>", page.text, re.S)
    basket = re.search(r"<td>[a-z0-9-]+</td>\s*<td>[^<]*</td>\s*<td class=\"num\">5</td>"
                       r"\s*<td class=\"num\">([^<]*)</td>", page.text)  # fmt: skip
    assert flour is not None and "50 kg" in flour.group(0)  # 100 kg less 5 × 10 kg
    assert basket is not None and basket.group(1) == "70 kg"  # 5 × (10 kg + 4 kg)


def preview(api: ApiHarness, quantity: str, location_id: str = CASABLANCA) -> httpx.Response:
    form = api.client.get("/operator/assembly")
    body = {"csrf": csrf_of(form.text), "form_id": "asm-form-2", "location_id": location_id,
            "kit_item_id": BASKET, "quantity": quantity, "preview": "1"}  # fmt: skip
    return api.client.post("/operator/assembly", data=body, follow_redirects=False)


def rows_of(page: str, caption: str) -> list[list[str]]:
    table = re.search(rf"<caption>{caption}</caption>.*?<tbody>(.*?)</tbody>", page, re.S)
    assert table is not None, page
    return [re.findall(r"<td[^>]*>([^<]*)</td>", row)
            for row in re.findall(r"<tr>(.*?)</tr>", table.group(1))]  # fmt: skip


def test_the_preview_lists_the_lots_each_component_would_give_first_expiring_first(
    api: ApiHarness,
) -> None:
    api.apply(StockReceived(receipt_id="r-flour-0", location_id=CASABLANCA, item_id=FLOUR,
                            quantity=20, lot="FL-0", expires_on=date(2099, 6, 30)))  # fmt: skip

    page = preview(api, "3")

    assert page.status_code == 200, page.text
    assert "3 × Panier alimentaire Ramadan à Entrepôt Casablanca" in page.text
    flour = rows_of(page.text, "Farine : 30 nécessaires")
    assert [(lot, taken) for lot, _, taken in flour] == [("FL-0", "20"), ("FL-1", "10")]
    assert "2099" in flour[0][1] and flour[1][1] == "—"  # the expiry, none for FL-1
    assert rows_of(page.text, "Sucre : 12 nécessaires") == [["SU-1", "—", "12"]]
    assert 'value="3"' in page.text  # the form kept as filled in, ready to record
    assert "KitsAssembled" not in [e.type for e in api.published()]  # nothing recorded
    recorded = assemble(api, "3")  # the same form, recorded this time
    assert recorded.status_code == 303, recorded.text
    assert "KitsAssembled" in [e.type for e in api.published()]


def test_a_preview_beyond_the_stock_says_which_component_is_short(api: ApiHarness) -> None:
    page = preview(api, "9")

    assert page.status_code == 409
    assert "sugar-kg (36 / 30)" in page.text
    assert "le stock d&#39;ici en permet 7 au plus" in page.text
    assert "nécessaires</caption>" not in page.text


def test_no_preview_of_another_warehouse(api: ApiHarness) -> None:
    page = preview(api, "1", location_id="wh-marrakech")

    assert page.status_code == 403
    assert "nécessaires</caption>" not in page.text


def test_the_coordinator_sees_baskets_still_due_beside_those_ready_and_the_shortfall(
    tmp_path: Path,
) -> None:
    """A campaign of 1 basket (2 from 6 members) for a household of 3 and one of 7: 3 due;
    one handed to the household of 3 leaves 2, and the stock makes only 1 (15 kg of flour)."""
    with ApiHarness(tmp_path, auto_project=True) as api:
        api.create_user(USERNAMES["coordinator"], "coordinator", password=PASSWORD)
        api.apply(
            ItemDefined(item_id=FLOUR, name="Farine", unit="kg", weight_kg="1"),
            ItemDefined(item_id=SUGAR, name="Sucre", unit="kg", weight_kg="1"),
            KitCompositionSet(kit_item_id=BASKET, version=1, components=[
                KitComponent(item_id=FLOUR, quantity=10), KitComponent(item_id=SUGAR, quantity=4)
            ]),
            StockReceived(receipt_id="r-flour", location_id=CASABLANCA, item_id=FLOUR,
                          quantity=15, lot="FL-1"),
            StockReceived(receipt_id="r-sugar", location_id=CASABLANCA, item_id=SUGAR,
                          quantity=30, lot="SU-1"),
            CampaignOpened(campaign_id="ramadan", name="Ramadan Al Haouz", item_id=BASKET,
                           quantity_per_household=1, starts_on=date(2026, 1, 1),
                           ends_on=date(2099, 12, 31), region_codes=["MA07"],
                           larger_households={"min_size": 6, "quantity": 2}),
            *(HouseholdRegistered(household_id=f"hh-{size}", identity=f"p{size:08d}",
                                  national_id_pseudonym=f"n{size}", size=size,
                                  region_code="MA07", groups=[],
                                  sealed_personal_data=f"sealed:{size}")
              for size in (3, 7)),
        )  # fmt: skip
        coverage = api.get("coordinator", "/v1/campaigns/ramadan/coverage")
        assert coverage.status_code == 200, coverage.text
        assert (coverage.json()["eligible_households"], coverage.json()["entitled_quantity"]) == (
            2, 3,
        )  # fmt: skip

        api.apply(
            AidDistributed(distribution_id="d-1", household_id="hh-3", identity="p00000003",
                           campaign_id="ramadan", site_id="site-asni", item_id=BASKET,
                           quantity=1, region_code="MA07",
                           distributed_at=datetime(2026, 3, 2, 10, tzinfo=UTC))
        )  # fmt: skip
        sign_in(api, "coordinator")
        page = api.client.get("/coordinator/kits")

    assert page.status_code == 200, page.text
    caption = "Kits encore dus aux foyers éligibles, face à ceux assemblés ou que le stock"
    row = re.search(rf"{caption}.*?<tr><td>Ramadan Al Haouz</td><td>(.*?)</td>(.*?)</tr>",
                    page.text, re.S)  # fmt: skip
    assert row is not None, page.text
    assert row.group(1) == "Panier alimentaire Ramadan"
    # 2 still due; 0 assembled + 1 the stock makes; short of 1
    assert re.findall(r'class="num">(?:<strong>)?(\d+)<', row.group(2)) == ["2", "1", "1"]
