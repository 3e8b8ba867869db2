"""The coordinator's board shows each list a page at a time, with a link to the next page
that keeps the operation chosen; following the links shows every convoy once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

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
