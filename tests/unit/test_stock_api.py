"""Stock over HTTP: receipts, transfers, adjustments, counts, alerts and idempotency, as stories.

Each story drives the real app through `ApiHarness` (real deciders, in-memory publisher) and
calls `project_published()` after its writes, so reads see the SQLite read models a worker
would have written. Expected numbers are worked out by hand and written literally.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api import deps
from tests.support.api import SITE, ApiHarness

MARRAKECH, CASABLANCA, BASKETS = "wh-marrakech", "wh-casablanca", "ramadan-basket"
KARIM = "karim.operator"  # the Marrakech storekeeper, created by the stories that need him
CARD = f"/v1/inventory/{MARRAKECH}/{BASKETS}/card"


@dataclass
class Clock:
    """The API's `now`, set by a story so movements without `occurred_at` have known times."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


@pytest.fixture
def clock(api: ApiHarness) -> Clock:
    """Pin the API's clock (through its `Now` dependency) to a morning of Ramadan 2026."""
    pinned = Clock(march(3, 9))
    api.app.dependency_overrides[deps.now] = pinned
    return pinned


def receive(api: ApiHarness, who: str, location: str, quantity: int, **fields: Any) -> dict:
    """Receive baskets at a location; the 201 answer."""
    body = {"location_id": location, "item_id": BASKETS, "quantity": quantity} | fields
    r = api.post(who, "/v1/stock/receipts", body)
    assert r.status_code == 201, r.text
    return r.json()


def transfer(source: str, to: str, quantity: int, **fields: Any) -> dict[str, Any]:
    """A transfer body of baskets (lots picked FEFO)."""
    lines = [{"item_id": BASKETS, "quantity": quantity}]
    return {"from_location_id": source, "to_location_id": to, "lines": lines} | fields


def on_hand(api: ApiHarness, location: str, **params: Any) -> dict[str, tuple[str | None, int]]:
    """Lot → (expires_on, on_hand) of baskets at a location, as the admin reads it."""
    query = {"location_id": location, "item_id": BASKETS} | params
    r = api.get("admin", "/v1/inventory", query)
    assert r.status_code == 200, r.text
    return {row["lot"]: (row["expires_on"], row["on_hand"]) for row in r.json()["items"]}


def dispatched_lines(answer: dict) -> list[tuple[str, str | None, int]]:
    """(lot, expires_on, quantity) of the TransferDispatched event in a dispatch's answer."""
    [event] = answer["events"]
    assert event["type"] == "TransferDispatched"
    return [(ln["lot"], ln["expires_on"], ln["quantity"]) for ln in event["data"]["lines"]]


def march(day: int, hour: int) -> datetime:
    """An hour of March 2026, in UTC."""
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


def instant(text: str) -> datetime:
    """A time read from the API; the read models keep naive UTC, so no zone means UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def alerts(api: ApiHarness, kind: str) -> list[dict]:
    r = api.get("coordinator", "/v1/alerts", {"kind": kind})
    assert r.status_code == 200, r.text
    items: list[dict] = r.json()["items"]
    return items


def error_of(response: Any, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    body: dict = response.json()
    assert body["error"] == error, body
    assert body["message"]
    return body


# Story 1 — Marrakech's basket card and the inventory as of past moments, worked out by hand:
#   03-01 08:00Z  receipt RB-A +100 (expires 2027-01-31)      RB-A 100          balance 100
#   03-02 07:00Z  receipt RB-B  +50 (expires 2026-12-15;      RB-A 100, RB-B 50 balance 150
#                 sent as 08:00+01:00, Marrakech time)
#   03-03 09:00Z  transfer 70 to Al Haouz, FEFO: RB-B -50     RB-A 100, RB-B 0  balance 100
#                                                 RB-A -20    RB-A 80           balance  80
#   03-04 09:00Z  adjustment: 5 damaged, from RB-A            RB-A 75           balance  75
#   03-05 09:00Z  count of the one lot left: 70 → variance -5 RB-A 70           balance  70


def _marrakech_month(api: ApiHarness, clock: Clock) -> dict:
    """Run story 1's movements as Karim; the dispatch's 201 answer."""
    api.create_user(KARIM, "operator", warehouses=[MARRAKECH])
    receive(api, KARIM, MARRAKECH, 100, id="rcpt-rb-a", lot="RB-A", expires_on="2027-01-31",
            occurred_at="2026-03-01T08:00:00+00:00")  # fmt: skip
    receive(api, KARIM, MARRAKECH, 50, id="rcpt-rb-b", lot="RB-B", expires_on="2026-12-15",
            occurred_at="2026-03-02T08:00:00+01:00")  # fmt: skip
    clock.moment = march(3, 9)
    sent = api.post(KARIM, "/v1/stock/transfers", transfer(MARRAKECH, SITE, 70, id="tr-mk-01"))
    assert sent.status_code == 201, sent.text
    clock.moment = march(4, 9)
    damaged = {"id": "adj-mk-01", "location_id": MARRAKECH, "item_id": BASKETS, "quantity": 5}
    r = api.post(KARIM, "/v1/stock/adjustments", damaged | {"reason": "damaged"})
    assert r.status_code == 201, r.text
    clock.moment = march(5, 9)
    counted = {"id": "count-mk-01", "location_id": MARRAKECH, "item_id": BASKETS}
    r = api.post(KARIM, "/v1/stock/counts", counted | {"counted_quantity": 70})
    assert r.status_code == 201, r.text
    [event] = r.json()["events"]
    assert (event["data"]["lot"], event["data"]["variance"]) == ("RB-A", -5)
    api.project_published()
    return dict(sent.json())


def test_a_dispatch_from_marrakech_picks_the_lot_expiring_first(
    api: ApiHarness, clock: Clock
) -> None:
    answer = _marrakech_month(api, clock)

    assert dispatched_lines(answer) == [("RB-B", "2026-12-15", 50), ("RB-A", "2027-01-31", 20)]
    assert answer["id"] == "tr-mk-01"
    assert answer["position"]


def test_the_marrakech_basket_card_has_every_movement_with_its_running_balance(
    api: ApiHarness, clock: Clock
) -> None:
    _marrakech_month(api, clock)

    r = api.get("coordinator", CARD)

    assert r.status_code == 200, r.text
    card = [
        (ln["kind"], ln["lot"], ln["quantity"], ln["balance"], ln["reference_id"], ln["reason"],
         instant(ln["occurred_at"]), ln["actor"])
        for ln in r.json()["items"]
    ]  # fmt: skip
    assert card == [
        ("StockReceived", "RB-A", 100, 100, "rcpt-rb-a", "received", march(1, 8), KARIM),
        ("StockReceived", "RB-B", 50, 150, "rcpt-rb-b", "received", march(2, 7), KARIM),
        ("TransferDispatched", "RB-B", -50, 100, "tr-mk-01", f"to {SITE}", march(3, 9), KARIM),
        ("TransferDispatched", "RB-A", -20, 80, "tr-mk-01", f"to {SITE}", march(3, 9), KARIM),
        ("StockAdjusted", "RB-A", -5, 75, "adj-mk-01", "damaged", march(4, 9), KARIM),
        ("StockCounted", "RB-A", -5, 70, "count-mk-01", "count: 70", march(5, 9), KARIM),
    ]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param("2026-03-01T07:59:59+00:00", {}, id="before-the-first-receipt"),
        pytest.param(
            "2026-03-02T07:30:00+00:00",  # RB-B arrived at 08:00 Marrakech time = 07:00 UTC
            {"RB-A": ("2027-01-31", 100), "RB-B": ("2026-12-15", 50)},
            id="after-both-receipts",
        ),
        pytest.param(
            "2026-03-03T12:00:00+01:00", {"RB-A": ("2027-01-31", 80)}, id="after-the-dispatch"
        ),
        pytest.param(
            "2026-03-04T18:00:00+00:00", {"RB-A": ("2027-01-31", 75)}, id="after-the-damage"
        ),
        pytest.param("2026-03-05T09:00:00+00:00", {"RB-A": ("2027-01-31", 70)}, id="at-the-count"),
    ],
)
def test_marrakech_stock_as_of_a_past_moment_is_what_was_on_hand_then(
    api: ApiHarness, clock: Clock, as_of: str, expected: dict
) -> None:
    _marrakech_month(api, clock)

    assert on_hand(api, MARRAKECH, as_of=as_of) == expected
    assert on_hand(api, MARRAKECH) == {"RB-A": ("2027-01-31", 70)}


def test_stock_card_times_say_their_time_zone(api: ApiHarness, clock: Clock) -> None:
    _marrakech_month(api, clock)

    lines = api.get("coordinator", CARD).json()["items"]

    assert all(datetime.fromisoformat(ln["occurred_at"]).tzinfo for ln in lines)


# Story 2 — Casablanca ships 100 baskets to the Al Haouz site; 96 arrive.
#   lots: RB-C 60 (expires 2030-02-28), RB-D 80 (expires 2030-06-30)
#   FEFO dispatch: RB-C 60 + RB-D 40; arrival of 96 spread FEFO: RB-C 60, RB-D 36, 4 missing.

TR = "tr-casa-haouz-01"


def _casablanca_stock(api: ApiHarness) -> None:
    receive(api, "operator", CASABLANCA, 60, lot="RB-C", expires_on="2030-02-28")
    receive(api, "operator", CASABLANCA, 80, lot="RB-D", expires_on="2030-06-30")


def _ship_100(api: ApiHarness) -> dict:
    _casablanca_stock(api)
    r = api.post("operator", "/v1/stock/transfers", transfer(CASABLANCA, SITE, 100, id=TR))
    assert r.status_code == 201, r.text
    api.project_published()
    return dict(r.json())


def _lines(transfer_row: dict) -> list[tuple[str, str | None, int, int, int]]:
    rows = sorted(transfer_row["lines"], key=lambda ln: ln["lot"])
    return [
        (ln["lot"], ln["expires_on"], ln["dispatched"], ln["received"], ln["missing"])
        for ln in rows
    ]


def _arrived(quantity: int) -> dict:
    return {"lines": [{"item_id": BASKETS, "quantity": quantity}]}


def test_a_dispatched_transfer_is_in_transit_with_its_lines(api: ApiHarness) -> None:
    answer = _ship_100(api)

    assert answer["id"] == TR and answer["position"]
    assert dispatched_lines(answer) == [("RB-C", "2030-02-28", 60), ("RB-D", "2030-06-30", 40)]
    r = api.get("operator", "/v1/stock/transfers", {"status": "in_transit"})
    assert r.status_code == 200, r.text
    [shown] = r.json()["items"]
    assert (shown["id"], shown["from_location_id"], shown["to_location_id"]) == (
        TR,
        CASABLANCA,
        SITE,
    )
    assert shown["status"] == "in_transit" and shown["received_at"] is None
    assert _lines(shown) == [("RB-C", "2030-02-28", 60, 0, 0), ("RB-D", "2030-06-30", 40, 0, 0)]
    assert on_hand(api, CASABLANCA) == {"RB-D": ("2030-06-30", 40)}


def test_a_transfer_received_short_records_the_discrepancy(api: ApiHarness) -> None:
    _ship_100(api)

    r = api.post("admin", f"/v1/stock/transfers/{TR}/receipt", _arrived(96))

    assert r.status_code == 201, r.text
    received, missing = r.json()["events"]
    assert received["type"] == "TransferReceived"
    assert [(ln["lot"], ln["quantity"]) for ln in received["data"]["lines"]] == [
        ("RB-C", 60),
        ("RB-D", 36),
    ]
    assert missing["type"] == "TransferDiscrepancyRecorded"
    assert (missing["data"]["lot"], missing["data"]["missing"]) == ("RB-D", 4)


def test_what_arrived_at_al_haouz_is_in_its_stock_and_the_transfer_shows_the_shortfall(
    api: ApiHarness,
) -> None:
    _ship_100(api)
    api.post("admin", f"/v1/stock/transfers/{TR}/receipt", _arrived(96))
    api.project_published()

    assert on_hand(api, SITE) == {"RB-C": ("2030-02-28", 60), "RB-D": ("2030-06-30", 36)}
    shown = api.get("coordinator", f"/v1/stock/transfers/{TR}").json()
    assert shown["status"] == "received" and shown["received_at"]
    assert _lines(shown) == [("RB-C", "2030-02-28", 60, 60, 0), ("RB-D", "2030-06-30", 40, 36, 4)]
    in_transit = api.get("coordinator", "/v1/stock/transfers", {"status": "in_transit"})
    assert in_transit.json()["items"] == []
    [alert] = alerts(api, "transfer_discrepancy")
    assert (alert["location_id"], alert["item_id"]) == (SITE, BASKETS)
    assert alert["details"] | {"transfer_id": TR, "missing": 4, "lot": "RB-D"} == alert["details"]
    assert TR in alert["message"] and "4 missing" in alert["message"]


def test_a_shortfall_is_an_alert_for_30_days_and_stays_on_the_transfer_for_good(
    api: ApiHarness, clock: Clock
) -> None:
    """Received 4 short on 3 March at 09:00: an alert through 2 April (the 30 days before
    it start at midnight on 3 March), none from 3 April; the transfer keeps the 4 missing."""
    _ship_100(api)
    api.post("admin", f"/v1/stock/transfers/{TR}/receipt", _arrived(96))
    api.project_published()

    seen = {}
    for day in (march(3, 9), march(3, 9) + timedelta(days=30), march(3, 9) + timedelta(days=31)):
        clock.moment = day
        seen[day.date().isoformat()] = [a["details"]["missing"] for a in
                                        alerts(api, "transfer_discrepancy")]  # fmt: skip

    assert seen == {"2026-03-03": [4], "2026-04-02": [4], "2026-04-03": []}
    shown = api.get("coordinator", f"/v1/stock/transfers/{TR}").json()
    assert _lines(shown)[1] == ("RB-D", "2030-06-30", 40, 36, 4)


def test_receiving_a_transfer_again_replays_the_same_answer_or_refuses_other_lines(
    api: ApiHarness,
) -> None:
    _ship_100(api)
    first = api.post("admin", f"/v1/stock/transfers/{TR}/receipt", _arrived(96))
    api.project_published()
    published = len(api.published("stock"))

    again = api.post("admin", f"/v1/stock/transfers/{TR}/receipt", _arrived(96))
    other = api.post("admin", f"/v1/stock/transfers/{TR}/receipt", _arrived(95))

    assert again.status_code == 200, again.text
    assert again.json()["events"] == first.json()["events"]
    error_of(other, 409, "already_received")
    assert len(api.published("stock")) == published


def test_a_receipt_refused_as_more_than_dispatched_can_be_sent_again_corrected(
    api: ApiHarness,
) -> None:
    """A storekeeper types 101 for the 100 baskets shipped and is told so (again, if she
    sends the same); the receipt sent again with what arrived is taken, and the transfer
    reads received. A refusal writes nothing, so it does not hold the transfer's receipt."""
    _ship_100(api)

    typo = api.post("admin", f"/v1/stock/transfers/{TR}/receipt", _arrived(101))
    same = api.post("admin", f"/v1/stock/transfers/{TR}/receipt", _arrived(101))
    corrected = api.post("admin", f"/v1/stock/transfers/{TR}/receipt", _arrived(96))

    error_of(typo, 422, "more_than_dispatched")
    assert same.json() == typo.json()
    assert corrected.status_code == 201, corrected.text
    api.project_published()
    assert api.get("coordinator", f"/v1/stock/transfers/{TR}").json()["status"] == "received"
    error_of(api.post("admin", f"/v1/stock/transfers/{TR}/receipt", _arrived(101)), 409,
             "already_received")  # fmt: skip


def test_receiving_a_transfer_nobody_dispatched_is_a_404(api: ApiHarness) -> None:
    r = api.post("admin", "/v1/stock/transfers/tr-never-sent/receipt", _arrived(10))

    error_of(r, 404, "unknown_transfer")


def test_a_transfer_from_casablanca_to_casablanca_is_a_422(api: ApiHarness) -> None:
    _casablanca_stock(api)
    published = len(api.published())

    r = api.post("operator", "/v1/stock/transfers", transfer(CASABLANCA, CASABLANCA, 10))

    error_of(r, 422, "invalid_request")
    assert len(api.published()) == published


def test_a_transfer_to_the_same_location_names_to_location_id(api: ApiHarness) -> None:
    r = api.post("operator", "/v1/stock/transfers", transfer(CASABLANCA, CASABLANCA, 10))

    assert error_of(r, 422, "invalid_request")["field"] == "to_location_id"


def test_dispatching_more_baskets_than_casablanca_holds_is_refused(api: ApiHarness) -> None:
    _casablanca_stock(api)
    published = len(api.published())

    r = api.post("operator", "/v1/stock/transfers", transfer(CASABLANCA, SITE, 141))

    body = error_of(r, 409, "insufficient_stock")
    assert (body["available"], body["requested"]) == (140, 141)
    assert len(api.published()) == published


def test_a_transfer_line_of_an_unknown_item_is_a_422(api: ApiHarness) -> None:
    _casablanca_stock(api)
    body = transfer(CASABLANCA, SITE, 10)
    body["lines"].append({"item_id": "tent-family", "quantity": 2})

    r = api.post("operator", "/v1/stock/transfers", body)

    assert error_of(r, 422, "invalid_request")["field"] == "lines.item_id"
    assert "tent-family" in r.json()["message"]


# Story 3 — adjustments and counts at Casablanca (lots RB-C 60 and RB-D 80 on hand).


def _adjustment(quantity: int, reason: str, **fields: Any) -> dict[str, Any]:
    base = {"location_id": CASABLANCA, "item_id": BASKETS, "quantity": quantity}
    return base | {"reason": reason} | fields


def test_baskets_found_in_casablanca_become_a_new_lot(api: ApiHarness) -> None:
    _casablanca_stock(api)

    r = api.post("operator", "/v1/stock/adjustments", _adjustment(12, "found", lot="RB-FOUND"))
    api.project_published()

    assert r.status_code == 201, r.text
    [event] = r.json()["events"]
    assert (event["type"], event["data"]["lot"], event["data"]["quantity"]) == (
        "StockAdjusted",
        "RB-FOUND",
        12,
    )
    assert on_hand(api, CASABLANCA) == {
        "RB-C": ("2030-02-28", 60),
        "RB-D": ("2030-06-30", 80),
        "RB-FOUND": (None, 12),
    }


def test_more_baskets_stolen_than_casablanca_holds_is_refused(api: ApiHarness) -> None:
    _casablanca_stock(api)

    r = api.post("operator", "/v1/stock/adjustments", _adjustment(141, "stolen"))

    assert error_of(r, 409, "insufficient_stock")["available"] == 140


def test_an_adjustment_reason_outside_the_list_is_a_422(api: ApiHarness) -> None:
    _casablanca_stock(api)
    published = len(api.published())

    r = api.post("operator", "/v1/stock/adjustments", _adjustment(3, "eaten"))

    assert error_of(r, 422, "invalid_request")["field"] == "reason"
    assert len(api.published()) == published


def test_counting_baskets_held_in_two_lots_needs_the_lot(api: ApiHarness) -> None:
    _casablanca_stock(api)
    count = {"location_id": CASABLANCA, "item_id": BASKETS, "counted_quantity": 140}

    r = api.post("operator", "/v1/stock/counts", count)

    body = error_of(r, 422, "lot_required")
    assert body["field"] == "lot"
    assert sorted(body["lots"]) == ["RB-C", "RB-D"]


# Story 4 — alerts open while the facts say so, and close when they stop saying it.


def test_a_low_stock_alert_opens_below_the_threshold_and_closes_after_a_receipt(
    api: ApiHarness,
) -> None:
    receive(api, "operator", CASABLANCA, 60, lot="RB-LOW")
    threshold = {"location_id": CASABLANCA, "item_id": BASKETS, "minimum": 100}

    r = api.post("coordinator", "/v1/stock/thresholds", threshold)
    api.project_published()

    assert r.status_code == 201, r.text
    [alert] = alerts(api, "low_stock")
    assert (alert["location_id"], alert["item_id"]) == (CASABLANCA, BASKETS)
    assert alert["details"] == {"on_hand": 60, "minimum": 100}
    receive(api, "operator", CASABLANCA, 50, lot="RB-TOPUP")
    api.project_published()
    assert alerts(api, "low_stock") == []


def test_a_lot_expiring_within_30_days_raises_an_alert_and_one_in_90_days_does_not(
    api: ApiHarness,
) -> None:
    today = datetime.now(UTC).date()
    soon, later = today + timedelta(days=10), today + timedelta(days=90)
    receive(api, "operator", CASABLANCA, 40, lot="RB-SOON", expires_on=soon.isoformat())
    receive(api, "operator", CASABLANCA, 70, lot="RB-LATER", expires_on=later.isoformat())
    api.project_published()

    [alert] = alerts(api, "expiring")
    assert (alert["location_id"], alert["item_id"]) == (CASABLANCA, BASKETS)
    assert alert["details"] == {"lot": "RB-SOON", "on_hand": 40, "expires_on": soon.isoformat()}
    r = api.get("operator", "/v1/inventory/expiring", {"within_days": 30})
    assert r.status_code == 200, r.text
    assert [(x["lot"], x["expires_on"], x["on_hand"]) for x in r.json()["items"]] == [
        ("RB-SOON", soon.isoformat(), 40)
    ]


# Story 5 — a dispatch repeated by a client that lost the answer moves the stock once.


def test_a_repeated_dispatch_answers_200_with_the_same_events_and_moves_stock_once(
    api: ApiHarness,
) -> None:
    receive(api, "operator", CASABLANCA, 120, lot="RB-IDEM")
    body = transfer(CASABLANCA, SITE, 30, id="tr-casa-idem-01")
    first = api.post("operator", "/v1/stock/transfers", body)
    api.project_published()

    again = api.post("operator", "/v1/stock/transfers", body)
    api.project_published()

    assert (first.status_code, again.status_code) == (201, 200), again.text
    ids = [[e["event_id"] for e in r.json()["events"]] for r in (first, again)]
    assert ids[0] == ids[1] and len(ids[0]) == 1
    assert again.json()["id"] == "tr-casa-idem-01"
    assert [e.type for e in api.published("stock")] == ["StockReceived", "TransferDispatched"]
    assert on_hand(api, CASABLANCA) == {"RB-IDEM": (None, 90)}


def test_the_same_dispatch_id_with_another_quantity_is_an_idempotency_conflict(
    api: ApiHarness,
) -> None:
    receive(api, "operator", CASABLANCA, 120, lot="RB-IDEM")
    api.post("operator", "/v1/stock/transfers", transfer(CASABLANCA, SITE, 30, id="tr-idem-02"))
    api.project_published()

    r = api.post("operator", "/v1/stock/transfers", transfer(CASABLANCA, SITE, 31, id="tr-idem-02"))

    error_of(r, 409, "idempotency_conflict")
    api.project_published()
    assert on_hand(api, CASABLANCA) == {"RB-IDEM": (None, 90)}


def test_a_transfer_id_already_used_from_another_origin_is_a_409_and_moves_nothing(
    api: ApiHarness,
) -> None:
    _ship_100(api)
    receive(api, "admin", MARRAKECH, 50, lot="RB-M")

    r = api.post("admin", "/v1/stock/transfers", transfer(MARRAKECH, SITE, 10, id=TR))

    error_of(r, 409, "already_exists")
    assert [e.type for e in api.published("stock")][-1] == "StockReceived"
    api.project_published()
    assert on_hand(api, MARRAKECH) == {"RB-M": (None, 50)}


def test_an_idempotency_key_header_is_the_dispatch_id_when_the_body_has_none(
    api: ApiHarness,
) -> None:
    receive(api, "operator", CASABLANCA, 120, lot="RB-IDEM")
    key = {"Idempotency-Key": "tr-casa-key-03"}

    first = api.post("operator", "/v1/stock/transfers", transfer(CASABLANCA, SITE, 30), key)
    again = api.post("operator", "/v1/stock/transfers", transfer(CASABLANCA, SITE, 30), key)
    api.project_published()

    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert first.json()["id"] == again.json()["id"] == "tr-casa-key-03"
    assert first.json()["events"] == again.json()["events"]
    [shown] = api.get("operator", "/v1/stock/transfers", {"status": "in_transit"}).json()["items"]
    assert shown["id"] == "tr-casa-key-03"
    assert on_hand(api, CASABLANCA) == {"RB-IDEM": (None, 90)}
