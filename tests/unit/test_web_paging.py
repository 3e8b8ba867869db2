"""Pages show lists that grow with use a page at a time, with a link to the next page that
keeps what was chosen: the coordinator's board (following the links shows every convoy once,
the operation kept), the operator's stock and the auditor's stock as of a day (every lot
once, the location and the day kept)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.ui.pages import auditor, operator
from api.ui.pages.coordinator import PAGE_ROWS
from tests.support.api import ITEMS, SITE, USERNAMES, WAREHOUSES, ApiHarness
from tests.unit.test_web_ui import sign_in

OPERATION = "op-seisme-al-haouz"
CONVOYS = PAGE_ROWS + 5


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        opened = harness.post("coordinator", "/v1/operations", {
            "id": OPERATION, "name": "Séisme d'Al Haouz", "kind": "earthquake",
            "region_codes": ["MA07"],
        })  # fmt: skip
        assert opened.status_code == 201, opened.text
        for n in range(CONVOYS):
            plan = {"id": f"dep-{n:03d}", "operation_id": OPERATION,
                    "from_location_id": WAREHOUSES[1], "to_location_id": SITE,
                    "lines": [{"item_id": ITEMS[0], "quantity": 1}],
                    "expected_hours": 12}  # fmt: skip
            planned = harness.post("coordinator", "/v1/deployments", plan)
            assert planned.status_code == 201, planned.text
        yield harness


def test_the_board_pages_its_convoys_and_the_link_keeps_the_operation(api: ApiHarness) -> None:
    sign_in(api, "coordinator", token=api.tokens[USERNAMES["coordinator"]])

    first = api.client.get("/coordinator", params={"operation_id": OPERATION})
    link = re.search(r'<p class="more"><a href="([^"]+)">', first.text)
    assert first.status_code == 200 and link, first.text
    second = api.client.get(link.group(1).replace("&amp;", "&"))

    shown = re.findall(r"<td>(dep-\d{3})</td>", first.text + second.text)
    assert second.status_code == 200, second.text
    assert f"operation_id={OPERATION}" in link.group(1)
    assert len(shown) == CONVOYS and len(set(shown)) == CONVOYS
    assert 'class="more"' not in second.text


LOTS = 5


@pytest.fixture
def stocked(tmp_path: Path) -> Iterator[ApiHarness]:
    """Five lots of flour received at Casablanca."""
    with ApiHarness(tmp_path, auto_project=True) as harness:
        for n in range(LOTS):
            receipt = {"location_id": WAREHOUSES[0], "item_id": ITEMS[1], "quantity": 10 + n,
                       "lot": f"L-WEB-{n}", "expires_on": "2030-01-01"}  # fmt: skip
            answer = harness.post("admin", "/v1/stock/receipts", receipt)
            assert answer.status_code == 201, answer.text
        yield harness


def lots_shown(page: str) -> list[str]:
    return re.findall(r"<td>(L-WEB-\d)</td>", page)


def next_link(page: str) -> str | None:
    link = re.search(r'<p class="more"><a href="([^"]+)">', page)
    return link.group(1).replace("&amp;", "&") if link else None


def test_the_stock_pages_show_a_locations_lots_a_page_at_a_time(
    stocked: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator's stock and the auditor's stock as of a day list the location's lots two
    at a time: the link keeps the location (and the day), the pages together are every lot
    once, in order, and the last page has no link."""
    api = stocked
    monkeypatch.setattr(operator, "STOCK_ROWS", 2)
    monkeypatch.setattr(auditor, "PAGE_ROWS", 2)
    everything = [f"L-WEB-{n}" for n in range(LOTS)]
    for role, first in (
        ("operator", f"/operator?location_id={WAREHOUSES[0]}"),
        ("auditor", f"/auditor/stock?location_id={WAREHOUSES[0]}&on=2099-01-01"),
    ):
        api.client.cookies.clear()
        sign_in(api, role, token=api.tokens[USERNAMES[role]])
        shown, path, pages = [], first, 0
        while path:
            answer = api.client.get(path)
            assert answer.status_code == 200, answer.text
            page_lots = lots_shown(answer.text)
            assert 1 <= len(page_lots) <= 2, (path, page_lots)
            shown += page_lots
            pages += 1
            path = next_link(answer.text)
            if path:
                assert f"location_id={WAREHOUSES[0]}" in path
                assert role == "operator" or "on=2099-01-01" in path
        assert (shown, pages) == (everything, 3), role


def test_arrivals_show_the_transfers_coming_to_my_warehouses_a_page_at_a_time(
    stocked: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three transfers from Marrakech to Casablanca, the operator's warehouse, and one from
    Casablanca to Al Haouz: the operator's arrivals show the three, two at a time, and never
    the one leaving."""
    api = stocked
    receipt = {"location_id": WAREHOUSES[1], "item_id": ITEMS[1], "quantity": 30,
               "lot": "L-MRK", "expires_on": "2030-01-01"}  # fmt: skip
    assert api.post("admin", "/v1/stock/receipts", receipt).status_code == 201
    moves = [(f"tr-in-{n}", WAREHOUSES[1], WAREHOUSES[0]) for n in range(3)]
    moves.append(("tr-out", WAREHOUSES[0], SITE))
    for transfer_id, source, destination in moves:
        body = {"id": transfer_id, "from_location_id": source, "to_location_id": destination,
                "lines": [{"item_id": ITEMS[1], "quantity": 1}]}  # fmt: skip
        answer = api.post("admin", "/v1/stock/transfers", body)
        assert answer.status_code == 201, answer.text
    monkeypatch.setattr(operator, "ARRIVAL_ROWS", 2)
    sign_in(api, "operator", token=api.tokens[USERNAMES["operator"]])

    shown, path, pages = [], "/operator/arrivals", 0
    while path:
        answer = api.client.get(path)
        assert answer.status_code == 200, answer.text
        shown += re.findall(r'id="tr-(tr-[\w-]+)"', answer.text)
        pages += 1
        path = next_link(answer.text)

    assert pages == 2 and sorted(shown) == ["tr-in-0", "tr-in-1", "tr-in-2"], shown
