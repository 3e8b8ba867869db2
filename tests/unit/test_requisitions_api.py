"""Requisitions over HTTP, as stories: Al Haouz asks Casablanca for Ramadan baskets.

The real app through `ApiHarness` (real deciders, the worker's reactions run in-process,
SQLite read model projected as events are published). The API's clock is pinned to the
morning of 1 March 2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from api import deps
from events import decode, encode
from events.stock import StockReceived
from projections.database import make_engine, migrate
from projections.requisitions_writer import RequisitionsProjection
from projections.tables import requisition_lines, requisitions
from projections.writer import Message, apply_batch
from tests.support.api import SITE, ApiHarness

CASABLANCA, MARRAKECH = "wh-casablanca", "wh-marrakech"
BASKETS, FLOUR = "ramadan-basket", "flour-25kg"
MORNING = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    """Casablanca holds 100 baskets and 50 sacks of flour."""
    with ApiHarness(tmp_path, auto_project=True) as harness:
        harness.app.dependency_overrides[deps.now] = lambda: MORNING
        harness.apply(
            StockReceived(receipt_id="rcpt-b", location_id=CASABLANCA, item_id=BASKETS,
                          quantity=100, lot="RB-2026-1"),
            StockReceived(receipt_id="rcpt-f", location_id=CASABLANCA, item_id=FLOUR,
                          quantity=50, lot="FL-2026-1"),
        )  # fmt: skip
        yield harness


def asked(rid: str = "req-al-haouz-01", baskets: int = 150, **changes: Any) -> dict[str, Any]:
    body = {
        "id": rid,
        "requesting_location_id": SITE,
        "supplying_location_id": CASABLANCA,
        "lines": [{"item_id": BASKETS, "quantity": baskets}, {"item_id": FLOUR, "quantity": 40}],
        "needed_by": "2026-03-10",
    }
    return body | changes


def shown(api: ApiHarness, rid: str = "req-al-haouz-01", who: str = "coordinator") -> Any:
    r = api.get(who, f"/v1/requisitions/{rid}")
    assert r.status_code == 200, r.text
    return r.json()


def quantities(requisition: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
    return {
        ln["item_id"]: (ln["requested"], ln["approved"], ln["dispatched"], ln["received"])
        for ln in requisition["lines"]
    }


def test_the_al_haouz_agent_asks_casablanca_and_the_coordinator_sees_it(api: ApiHarness) -> None:
    r = api.post("agent", "/v1/requisitions", asked())
    again = api.post("agent", "/v1/requisitions", asked())

    assert r.status_code == 201, r.text
    assert again.status_code == 200, again.text
    requisition = shown(api)
    assert requisition["status"] == "raised"
    assert requisition["raised_by"] == "khadija.agent"
    assert quantities(requisition) == {BASKETS: (150, 0, 0, 0), FLOUR: (40, 0, 0, 0)}
    listed = api.get("coordinator", "/v1/requisitions").json()["items"]
    assert [x["id"] for x in listed] == ["req-al-haouz-01"]


def test_a_requisition_asks_a_warehouse_for_items_it_knows(api: ApiHarness) -> None:
    of_a_site = api.post(
        "admin",
        "/v1/requisitions",
        asked(requesting_location_id=MARRAKECH, supplying_location_id=SITE),
    )
    unknown = api.post("agent", "/v1/requisitions",
                       asked(lines=[{"item_id": "blanket-wool", "quantity": 3}]))  # fmt: skip

    assert of_a_site.status_code == 422, of_a_site.text
    assert of_a_site.json()["field"] == "supplying_location_id"
    assert unknown.status_code == 422, unknown.text
    assert api.published("requisitions") == []


def test_approved_in_part_it_leaves_casablanca_and_closes_when_all_arrived(
    api: ApiHarness,
) -> None:
    api.post("agent", "/v1/requisitions", asked(baskets=150))

    approval = {"lines": [{"item_id": BASKETS, "quantity": 90}]}
    r = api.post("coordinator", "/v1/requisitions/req-al-haouz-01/approval", approval)

    assert r.status_code == 200, r.text
    requisition = shown(api)
    assert requisition["status"] == "dispatched"
    assert quantities(requisition) == {BASKETS: (150, 90, 90, 0), FLOUR: (40, 40, 40, 0)}
    transfer_id = requisition["transfer_id"]
    transfer = api.get("admin", f"/v1/stock/transfers/{transfer_id}").json()
    assert (transfer["from_location_id"], transfer["to_location_id"]) == (CASABLANCA, SITE)
    assert transfer["requisition_id"] == "req-al-haouz-01"

    arrived = {"lines": [{"item_id": BASKETS, "quantity": 90}, {"item_id": FLOUR, "quantity": 40}]}
    got = api.post("admin", f"/v1/stock/transfers/{transfer_id}/receipt", arrived)

    assert got.status_code in (200, 201), got.text
    requisition = shown(api, who="agent")
    assert requisition["status"] == "closed"
    assert requisition["reason"] is None
    assert quantities(requisition) == {BASKETS: (150, 90, 90, 90), FLOUR: (40, 40, 40, 40)}


def test_received_short_the_coordinator_closes_it_short_with_a_reason(api: ApiHarness) -> None:
    api.post("agent", "/v1/requisitions", asked(baskets=60))
    api.post("coordinator", "/v1/requisitions/req-al-haouz-01/approval", {})
    transfer_id = shown(api)["transfer_id"]
    arrived = {"lines": [{"item_id": BASKETS, "quantity": 55}, {"item_id": FLOUR, "quantity": 40}]}
    api.post("admin", f"/v1/stock/transfers/{transfer_id}/receipt", arrived)

    assert shown(api)["status"] == "received"
    closed = api.post("coordinator", "/v1/requisitions/req-al-haouz-01/closure",
                      {"reason": "5 paniers abîmés en route"})  # fmt: skip

    assert closed.status_code == 200, closed.text
    requisition = shown(api)
    assert (requisition["status"], requisition["reason"]) == ("closed", "5 paniers abîmés en route")
    assert quantities(requisition)[BASKETS] == (60, 60, 60, 55)


def test_approving_more_than_requested_is_refused_and_moves_nothing(api: ApiHarness) -> None:
    api.post("agent", "/v1/requisitions", asked(baskets=50))

    r = api.post("coordinator", "/v1/requisitions/req-al-haouz-01/approval",
                 {"lines": [{"item_id": BASKETS, "quantity": 51}]})  # fmt: skip

    assert r.status_code == 422, r.text
    assert (r.json()["error"], r.json()["requested"]) == ("more_than_requested", 50)
    assert shown(api)["status"] == "raised"
    assert [e.type for e in api.published("stock")] == []


def test_casablanca_short_of_baskets_refuses_and_the_coordinator_sees_how_many_there_are(
    api: ApiHarness,
) -> None:
    api.post("agent", "/v1/requisitions", asked(baskets=150))

    r = api.post("coordinator", "/v1/requisitions/req-al-haouz-01/approval", {})

    assert r.status_code == 200, r.text
    requisition = shown(api)
    assert requisition["status"] == "dispatch_refused"
    refusal = requisition["refusal"]
    assert (refusal["error"], refusal["item_id"], refusal["requested"], refusal["available"]) == (
        "insufficient_stock", BASKETS, 150, 100,
    )  # fmt: skip
    assert [e.type for e in api.published("stock")] == []

    again = api.post("coordinator", "/v1/requisitions/req-al-haouz-01/approval",
                     {"lines": [{"item_id": BASKETS, "quantity": 100}]})  # fmt: skip

    assert again.status_code == 200, again.text
    assert shown(api)["status"] == "dispatched"
    assert [e.type for e in api.published("stock")] == ["TransferDispatched"]


def test_a_rejected_requisition_says_why_and_cannot_be_approved(api: ApiHarness) -> None:
    api.post("agent", "/v1/requisitions", asked())

    r = api.post("coordinator", "/v1/requisitions/req-al-haouz-01/rejection",
                 {"reason": "couvert par le convoi 7"})  # fmt: skip
    late = api.post("coordinator", "/v1/requisitions/req-al-haouz-01/approval", {})

    assert r.status_code == 200, r.text
    assert (shown(api)["status"], shown(api)["reason"]) == ("rejected", "couvert par le convoi 7")
    assert late.status_code == 409, late.text
    assert late.json()["error"] == "requisition_rejected"


def test_an_unknown_requisition_is_not_found(api: ApiHarness) -> None:
    r = api.post("coordinator", "/v1/requisitions/req-nowhere/approval", {})

    assert r.status_code == 404, r.text
    assert api.get("coordinator", "/v1/requisitions/req-nowhere").status_code == 404


def test_each_user_sees_the_requisitions_of_their_locations_a_page_at_a_time(
    api: ApiHarness,
) -> None:
    for n in range(3):
        api.post("agent", "/v1/requisitions", asked(f"req-al-haouz-{n}"))
    between = asked("req-marrakech-1", requesting_location_id=MARRAKECH)
    assert api.post("admin", "/v1/requisitions", between).status_code == 201

    first = api.get("agent", "/v1/requisitions", {"limit": 2}).json()
    rest = api.get("agent", "/v1/requisitions", {"limit": 2, "cursor": first["next"]}).json()
    supplier = api.get("operator", "/v1/requisitions").json()["items"]

    seen = [x["id"] for x in first["items"] + rest["items"]]
    assert sorted(seen) == ["req-al-haouz-0", "req-al-haouz-1", "req-al-haouz-2"]
    assert rest["next"] is None
    assert len(supplier) == 4  # all four ask Casablanca, the operator's warehouse
    assert api.get("agent", "/v1/requisitions/req-marrakech-1").status_code == 404


def test_the_read_model_is_the_same_rebuilt_from_the_log(api: ApiHarness, tmp_path: Path) -> None:
    api.post("agent", "/v1/requisitions", asked("req-1", baskets=60))
    api.post("agent", "/v1/requisitions", asked("req-2"))
    api.post("coordinator", "/v1/requisitions/req-1/approval", {})
    api.post("coordinator", "/v1/requisitions/req-2/rejection", {"reason": "doublon"})
    transfer_id = shown(api, "req-1")["transfer_id"]
    arrived = {"lines": [{"item_id": BASKETS, "quantity": 59}, {"item_id": FLOUR, "quantity": 40}]}
    api.post("admin", f"/v1/stock/transfers/{transfer_id}/receipt", arrived)

    rebuilt = make_engine(f"sqlite:///{tmp_path}/rebuilt.db")
    migrate(rebuilt)
    topic = api.settings.topic("requisitions")
    messages = [
        Message(topic, 0, offset, *decode(encode(envelope)))
        for offset, envelope in enumerate(api.published("requisitions"))
    ]
    for one in messages:  # one event a batch, where the live model took them as they came
        apply_batch(rebuilt, RequisitionsProjection(), [one])

    for table in (requisitions, requisition_lines):
        with api.engine.connect() as live, rebuilt.connect() as again:
            order = list(table.primary_key)
            assert list(live.execute(select(table).order_by(*order))) == list(
                again.execute(select(table).order_by(*order))
            )
    assert shown(api, "req-1")["status"] == "received"


def test_a_requisitions_history_holds_its_steps_and_its_transfer(api: ApiHarness) -> None:
    api.post("agent", "/v1/requisitions", asked(baskets=60))
    api.post("coordinator", "/v1/requisitions/req-al-haouz-01/approval", {})

    r = api.get("auditor", "/v1/history/requisition/req-al-haouz-01")

    assert r.status_code == 200, r.text
    # all at the API's pinned moment: the history orders them by time, then by id
    assert sorted(e["type"] for e in r.json()["items"]) == [
        "RequisitionApproved",
        "RequisitionDispatchRecorded",
        "RequisitionRaised",
        "TransferDispatched",
    ]


QUAKE = "op-al-haouz-2026"


def open_operation(api: ApiHarness, operation: str = QUAKE) -> None:
    r = api.post("coordinator", "/v1/operations", {
        "id": operation, "name": "Séisme d'Al Haouz", "kind": "earthquake",
        "region_codes": ["MA07"],
    })  # fmt: skip
    assert r.status_code == 201, r.text
    api.project_published()


def test_approved_by_convoy_it_travels_with_the_operation_and_closes_short(
    api: ApiHarness,
) -> None:
    open_operation(api)
    api.post("agent", "/v1/requisitions", asked(baskets=60))

    r = api.post("coordinator", "/v1/requisitions/req-al-haouz-01/approval",
                 {"operation_id": QUAKE})  # fmt: skip

    assert r.status_code == 200, r.text
    requisition = shown(api)
    convoy = requisition["deployment_id"]
    assert (requisition["status"], requisition["operation_id"]) == ("approved", QUAKE)
    assert convoy == requisition["transfer_id"]
    assert [e.type for e in api.published("stock")] == []
    board = api.get("coordinator", "/v1/deployments", {"operation_id": QUAKE}).json()["items"]
    assert [(d["id"], d["status"], d["requisition_id"]) for d in board] == [
        (convoy, "planned", "req-al-haouz-01")
    ]

    left = api.post("coordinator", f"/v1/deployments/{convoy}/dispatch", None)
    assert left.status_code == 200, left.text
    assert shown(api)["status"] == "dispatched"
    arrived = {"lines": [{"item_id": BASKETS, "quantity": 57}, {"item_id": FLOUR, "quantity": 40}]}
    got = api.post("coordinator", f"/v1/deployments/{convoy}/deliver", arrived)
    assert got.status_code == 200, got.text

    requisition = shown(api)
    assert requisition["status"] == "received"
    assert quantities(requisition) == {BASKETS: (60, 60, 60, 57), FLOUR: (40, 40, 40, 40)}
    closed = api.post("coordinator", "/v1/requisitions/req-al-haouz-01/closure",
                      {"reason": "3 paniers perdus sur la route"})  # fmt: skip
    assert closed.status_code == 200, closed.text
    assert shown(api)["status"] == "closed"


def test_a_convoy_is_approved_only_within_an_open_operation(api: ApiHarness) -> None:
    open_operation(api)
    api.post("agent", "/v1/requisitions", asked(baskets=60))
    closing = api.post("coordinator", f"/v1/operations/{QUAKE}/close", None)
    assert closing.status_code == 201, closing.text
    api.project_published()

    unknown = api.post("coordinator", "/v1/requisitions/req-al-haouz-01/approval",
                       {"operation_id": "op-nowhere"})  # fmt: skip
    closed = api.post("coordinator", "/v1/requisitions/req-al-haouz-01/approval",
                      {"operation_id": QUAKE})  # fmt: skip

    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["field"] == "operation_id"
    assert closed.status_code == 409, closed.text
    assert closed.json()["error"] == "operation_closed"
    assert shown(api)["status"] == "raised"
    assert api.published("deployments") == []
