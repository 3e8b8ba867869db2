"""Stock received under a transfer, sent back to where it came from: the same lots, never
more than arrived and was not sent back yet, as a new transfer that the origin receives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from events.relief import DonationReceived, DonorRegistered
from services.domain.stock.commands import SendBackTransfer, SentBackLine
from tests.support.api import ApiHarness
from tests.support.stock_stories import AL_HAOUZ, MARRAKECH, given

CASABLANCA, SITE, BASKETS = "wh-casablanca", "site-al-haouz", "ramadan-basket"


def test_nothing_is_sent_back_under_a_transfer_that_never_arrived() -> None:
    back = SendBackTransfer(
        transfer_id="tr-001-back", returns_transfer_id="tr-001", from_location_id=AL_HAOUZ,
        to_location_id=MARRAKECH, lines=[SentBackLine(item_id="food-basket", lot="RB-1",
                                                      quantity=1)],
        reason="wrong lot",
    )  # fmt: skip
    given().when(back).then_refused("not_received", transfer_id="tr-001")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        harness.apply(
            DonorRegistered(donor_id="donor-atlas", name="Fondation Atlas"),
            DonationReceived(donation_id="don-atlas", donor_id="donor-atlas",
                             location_id=CASABLANCA, item_id=BASKETS, quantity=100),
        )  # fmt: skip
        body = {"id": "rc-1", "location_id": CASABLANCA, "item_id": BASKETS, "quantity": 100,
                "lot": "RB-1", "donation_id": "don-atlas"}  # fmt: skip
        assert harness.post("operator", "/v1/stock/receipts", body).status_code == 201
        ship = {"id": "tr-1", "from_location_id": CASABLANCA, "to_location_id": SITE,
                "lines": [{"item_id": BASKETS, "quantity": 30}]}  # fmt: skip
        assert harness.post("operator", "/v1/stock/transfers", ship).status_code == 201
        harness.project_published()
        arrival = {"lines": [{"item_id": BASKETS, "quantity": 30}]}
        assert harness.post("admin", "/v1/stock/transfers/tr-1/receipt", arrival).status_code == 201
        harness.project_published()
        yield harness


def on_hand(api: ApiHarness, location_id: str) -> list[int]:
    found = api.get("coordinator", "/v1/inventory", {"location_id": location_id}).json()
    return [row["on_hand"] for row in found["items"]]


def test_part_of_a_received_transfer_goes_back_and_arrives_home(api: ApiHarness) -> None:
    back = {"id": "tr-1-back", "reason": "too many baskets",
            "lines": [{"item_id": BASKETS, "lot": "RB-1", "quantity": 10}]}  # fmt: skip
    r = api.post("admin", "/v1/stock/transfers/tr-1/return", back)
    assert r.status_code == 201, r.text
    [sent] = r.json()["events"]
    assert sent["type"] == "TransferDispatched"
    api.project_published()
    [dispatched] = [e for e in api.published("stock") if e.data.get("returns_transfer_id")]
    assert (dispatched.data["returns_transfer_id"], dispatched.data["reason"]) == (
        "tr-1",
        "too many baskets",
    )
    assert on_hand(api, SITE) == [20]

    home = api.post("operator", "/v1/stock/transfers/tr-1-back/receipt",
                    {"lines": [{"item_id": BASKETS, "quantity": 10}]})  # fmt: skip
    assert home.status_code == 201, home.text
    api.project_published()
    assert on_hand(api, CASABLANCA) == [80]
    trace = api.get("coordinator", "/v1/donations/don-atlas/trace").json()
    assert trace["in_transit"] == 0
    assert sorted((s["location_id"], s["quantity"]) for s in trace["in_stock"]) == [
        (SITE, 20),
        (CASABLANCA, 80),
    ]


def test_never_more_than_arrived_and_only_by_those_who_may(api: ApiHarness) -> None:
    everything = api.post("admin", "/v1/stock/transfers/tr-1/return",
                          {"id": "tr-1-all", "reason": "wrong site"})  # fmt: skip
    assert everything.status_code == 201, everything.text
    api.project_published()

    more = api.post("admin", "/v1/stock/transfers/tr-1/return",
                    {"id": "tr-1-more", "reason": "x",
                     "lines": [{"item_id": BASKETS, "lot": "RB-1", "quantity": 1}]})  # fmt: skip
    agent = api.post("agent", "/v1/stock/transfers/tr-1/return", {"id": "tr-x", "reason": "x"})
    unknown = api.post("admin", "/v1/stock/transfers/tr-9/return", {"id": "tr-y", "reason": "x"})

    assert on_hand(api, SITE) == []
    assert (more.status_code, more.json()["error"], more.json()["available"]) == (
        409,
        "more_than_received",
        0,
    )
    assert agent.status_code == 403
    assert unknown.status_code == 404
