"""The demo that `make run` loads, loaded through the API twice: the second load changes
nothing, and the Fondation Atlas's flour is followed into the baskets assembled at Marrakech
and to the households served at Amizmiz."""

from __future__ import annotations

from pathlib import Path

from services.runtime.demo import BASKET, BASKETS_MADE, post_demo
from tests.e2e.scenario import consume_site_stock
from tests.support.api import ApiHarness


def test_the_demo_loads_twice_and_follows_the_atlas_flour_into_baskets(tmp_path: Path) -> None:
    with ApiHarness(tmp_path, auto_project=True, reference_data=False) as api:
        api.client.headers.update(api.headers("admin"))
        post_demo(api.client)
        consume_site_stock(api)  # as the worker's distribution policy would
        once = {stream: len(api.published(stream)) for stream in ("stock", "reference")}
        post_demo(api.client)
        consume_site_stock(api)
        again = {stream: len(api.published(stream)) for stream in ("stock", "reference")}

        flour = api.get("admin", "/v1/donations/don-atlas-farine-2027/trace").json()
        where = {"location_id": "wh-marrakech", "item_id": "flour-kg"}
        marrakech = api.get("admin", "/v1/inventory", where).json()

    assert again == once  # nothing recorded twice
    assert flour["received"] == 2000
    [lot] = flour["through_kits"]["lots"]
    assert (lot["lot"], lot["units"], lot["kits"]) == (
        "PAN-RAMADAN-27",
        BASKET["flour-kg"] * BASKETS_MADE,
        BASKETS_MADE,
    )
    assert flour["distributed"] == flour["distributed"] | {"quantity": 40, "households": 3}
    assert sum(row["on_hand"] for row in marrakech["items"]) == 2000 - 1500
