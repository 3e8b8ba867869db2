"""A transfer called back on its way: the destination refuses it for good, then the origin
gets its lots back; a receipt after the cancellation, or a cancellation after the receipt,
is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from events.relief import DonationReceived, DonorRegistered
from events.stock import TransferCancelled, TransferReturned
from services.domain.stock.commands import CancelTransfer, ReturnTransfer
from tests.support.api import ApiHarness
from tests.support.stock_stories import (
    AL_HAOUZ,
    MARRAKECH,
    dispatch,
    given,
    line,
    receive_transfer,
    received,
    sent,
)

RB1 = received(100, "RB-1")
SHIPPED = given(RB1).when(dispatch(line(40))).events


def cancel() -> CancelTransfer:
    return CancelTransfer(transfer_id="tr-001", from_location_id=MARRAKECH,
                          to_location_id=AL_HAOUZ, dispatched=[sent(40, "RB-1")],
                          reason="road closed")  # fmt: skip


def back() -> ReturnTransfer:
    return ReturnTransfer(transfer_id="tr-001", from_location_id=MARRAKECH,
                          to_location_id=AL_HAOUZ, lines=[sent(40, "RB-1")],
                          reason="road closed")  # fmt: skip


def test_the_destination_cancels_a_transfer_on_its_way_and_then_refuses_its_receipt() -> None:
    cancelled = TransferCancelled(**cancel().model_dump(exclude={"dispatched"}),
                                  lines=[sent(40, "RB-1")])  # fmt: skip
    given().when(cancel()).then(cancelled)

    arriving = receive_transfer([sent(40, "RB-1")], {"food-basket": 40})
    given(cancelled).when(arriving).then_refused("transfer_cancelled", transfer_id="tr-001")
    given(cancelled).when(cancel()).then_refused("already_cancelled")


def test_a_transfer_already_received_cannot_be_cancelled() -> None:
    arrived = given(*SHIPPED).when(receive_transfer([sent(40, "RB-1")], {"food-basket": 40}))
    given(*arrived.events).when(cancel()).then_refused("already_received")


def test_the_origin_gets_its_lots_back_once() -> None:
    state = given(RB1, *SHIPPED).when(back()).then(TransferReturned(**back().model_dump()))
    assert state.on_hand("food-basket") == 100

    given(RB1, *SHIPPED, TransferReturned(**back().model_dump())).when(back()).then_refused(
        "already_returned"
    )
    given(RB1).when(back()).then_refused("unknown_transfer")


# --- Over HTTP, with the policy run in-process ---------------------------------------------------

CASABLANCA, SITE, BASKETS = "wh-casablanca", "site-al-haouz", "ramadan-basket"


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
        yield harness


def _transfer(api: ApiHarness) -> dict[str, Any]:
    r = api.get("coordinator", "/v1/stock/transfers/tr-1")
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_an_operator_calls_back_a_transfer_and_the_baskets_are_home_again(
    api: ApiHarness,
) -> None:
    r = api.post("operator", "/v1/stock/transfers/tr-1/cancel", {"reason": "road closed"})
    assert r.status_code == 201, r.text
    assert [e["type"] for e in r.json()["events"]] == ["TransferCancelled"]
    api.project_published()

    assert [e.type for e in api.published("stock")][-2:] == [
        "TransferCancelled",
        "TransferReturned",
    ]
    transfer = _transfer(api)
    assert transfer["status"] == "returned"
    assert [(ln["dispatched"], ln["received"], ln["returned"]) for ln in transfer["lines"]] == [
        (30, 0, 30)
    ]
    stock = api.get("coordinator", "/v1/inventory", {"location_id": CASABLANCA}).json()
    assert [row["on_hand"] for row in stock["items"]] == [100]
    trace = api.get("coordinator", "/v1/donations/don-atlas/trace").json()
    assert (trace["received"], trace["in_transit"], trace["lost"]) == (100, 0, 0)
    assert trace["in_stock"] == [{"location_id": CASABLANCA, "quantity": 100, "in_kits": 0}]

    arrival = api.post("admin", "/v1/stock/transfers/tr-1/receipt",
                       {"lines": [{"item_id": BASKETS, "quantity": 30}]})  # fmt: skip
    again = api.post("operator", "/v1/stock/transfers/tr-1/cancel", {"reason": "again"})
    assert (arrival.status_code, arrival.json()["error"]) == (409, "transfer_cancelled")
    assert (again.status_code, again.json()["error"]) == (409, "already_cancelled")


def test_a_received_transfer_is_not_called_back_and_others_may_not_try(api: ApiHarness) -> None:
    arrival = api.post("admin", "/v1/stock/transfers/tr-1/receipt",
                       {"lines": [{"item_id": BASKETS, "quantity": 30}]})  # fmt: skip
    assert arrival.status_code == 201, arrival.text
    api.project_published()

    late = api.post("operator", "/v1/stock/transfers/tr-1/cancel", {"reason": "too late"})
    agent = api.post("agent", "/v1/stock/transfers/tr-1/cancel", {"reason": "x"})
    unknown = api.post("operator", "/v1/stock/transfers/tr-9/cancel", {"reason": "x"})

    assert (late.status_code, late.json()["error"]) == (409, "already_received")
    assert agent.status_code == 403
    assert unknown.status_code == 404
