"""Lifecycles of relief as stories: the Al Haouz earthquake operation closes (and then no
convoy is planned for it), a convoy of three lines is delivered short on one and closed (and
then takes no further step). The operation's writer alone, the read models on every database,
the API through `ApiHarness` (clock pinned), and the coordinator's board without a browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from events.households import CampaignOpened
from events.reference import ItemDefined
from events.relief import (
    DeploymentClosed,
    DeploymentDelivered,
    DeploymentDispatched,
    DeploymentPlanned,
    OperationClosed,
    OperationOpened,
    PlannedLine,
)
from events.stock import StockReceived
from projections import relief_queries
from services.domain.decisions import Refused
from services.domain.reference.decider import CloseOperation, ReferenceDecider, Registration
from tests.support.api import SITE, USERNAMES, ApiHarness
from tests.unit.test_kit_read_models import project
from tests.unit.test_relief_api import Clock, error_of, march, ok, pinned
from tests.unit.test_web_ui import PASSWORD, csrf_of, sign_in

QUAKE, FLOODS = "op-seisme-al-haouz", "op-inondations-souss"
MARRAKECH, BASKETS, FLOUR, BLANKETS = "wh-marrakech", "ramadan-basket", "flour-25kg", "blanket"
CONVOY = "dep-al-haouz-01"
CARGO = {BASKETS: 400, FLOUR: 50, BLANKETS: 120}
QUAKE_OPENED = OperationOpened(operation_id=QUAKE, name="Séisme d'Al Haouz", kind="earthquake",
                               region_codes=["MA07"])  # fmt: skip
DECIDER = ReferenceDecider()
MARCH_20 = datetime(2026, 3, 20, 17, 0, tzinfo=UTC)


# ---- the operation's writer ----------------------------------------------------------------


def known(*events: Any) -> Registration:
    state = DECIDER.initial()
    for event in events:
        state = DECIDER.evolve(state, event)
    return state


def test_an_operation_closes_today_with_its_reason_and_only_once() -> None:
    close = CloseOperation(operation_id=QUAKE, reason="handed over to reconstruction")

    [closed] = DECIDER.decide(known(QUAKE_OPENED), close, MARCH_20)

    assert closed == OperationClosed(operation_id=QUAKE, closed_on=date(2026, 3, 20),
                                     reason="handed over to reconstruction")  # fmt: skip
    with pytest.raises(Refused) as again:
        DECIDER.decide(known(QUAKE_OPENED, closed), close, MARCH_20)
    assert (again.value.code, again.value.details) == (
        "operation_closed", {"closed_on": "2026-03-20"},
    )  # fmt: skip


# A campaign registered under the operation's id: not an operation to close.
SAME_ID_CAMPAIGN = CampaignOpened(campaign_id=QUAKE, name="Urgence", item_id=BASKETS,
                                  quantity_per_household=1, starts_on=date(2026, 3, 1),
                                  ends_on=date(2026, 4, 30))  # fmt: skip


@pytest.mark.parametrize("past", [(), (SAME_ID_CAMPAIGN,)], ids=["nothing", "a-campaign"])
def test_only_an_operation_is_closed(past: tuple[Any, ...]) -> None:
    with pytest.raises(Refused) as refused:
        DECIDER.decide(known(*past), CloseOperation(operation_id=QUAKE), MARCH_20)
    assert refused.value.code == "unknown_operation"


# ---- the read models -----------------------------------------------------------------------


def test_a_closed_operation_and_a_closed_convoy_on_the_read_models(engine: Engine) -> None:
    lines = [PlannedLine(item_id=i, quantity=q) for i, q in CARGO.items()]
    short = [
        PlannedLine(item_id=i, quantity=q - 20 if i == BASKETS else q) for i, q in CARGO.items()
    ]
    at = datetime(2026, 3, 2, 6, tzinfo=UTC)
    project(engine, "reference", QUAKE_OPENED,
            OperationClosed(operation_id=QUAKE, closed_on=date(2026, 3, 20)))  # fmt: skip
    project(
        engine, "deployments",
        DeploymentPlanned(deployment_id=CONVOY, operation_id=QUAKE, from_location_id=MARRAKECH,
                          to_location_id=SITE, lines=lines),
        DeploymentDispatched(deployment_id=CONVOY, dispatched=lines, dispatched_at=at),
        DeploymentDelivered(deployment_id=CONVOY, delivered=short, delivered_at=at),
        DeploymentClosed(deployment_id=CONVOY, reason="shortfall reported"),
    )  # fmt: skip

    operation = relief_queries.operation(engine, QUAKE)
    convoy = relief_queries.deployment(engine, CONVOY)

    assert operation is not None and operation["closed_on"] == date(2026, 3, 20)
    assert convoy is not None
    assert (convoy["status"], convoy["closed_at"]) == ("closed", datetime(2026, 3, 3, 9, 3))
    assert [(ln["item_id"], ln["quantity"]) for ln in convoy["delivered"]] == [
        (BASKETS, 380), (FLOUR, 50), (BLANKETS, 120),
    ]  # fmt: skip


# ---- over HTTP -----------------------------------------------------------------------------


@pytest.fixture
def quake(tmp_path: Path) -> Iterator[tuple[ApiHarness, Clock]]:
    """Baskets, flour and blankets in Marrakech; the earthquake operation open, and the floods
    of the Souss too."""
    with ApiHarness(tmp_path) as api:
        clock = pinned(api, march(1, 8))
        api.apply(
            ItemDefined(item_id=BLANKETS, name="Couverture", unit="piece"),
            *(StockReceived(receipt_id=f"rcpt-{item}", location_id=MARRAKECH, item_id=item,
                            quantity=1000, lot=f"L-{item}") for item in CARGO),
            QUAKE_OPENED,
            OperationOpened(operation_id=FLOODS, name="Inondations du Souss", kind="flood"),
        )  # fmt: skip
        yield api, clock


def convoy_body(convoy: str = CONVOY, operation: str = QUAKE, **cargo: int) -> dict[str, Any]:
    lines = [{"item_id": i, "quantity": q} for i, q in (cargo or CARGO).items()]
    return {"id": convoy, "operation_id": operation, "from_location_id": MARRAKECH,
            "to_location_id": SITE, "lines": lines, "expected_hours": 12}  # fmt: skip


def plan(api: ApiHarness, convoy: str = CONVOY, operation: str = QUAKE) -> Any:
    answer = api.post("coordinator", "/v1/deployments", convoy_body(convoy, operation))
    api.project_published()
    return answer


def step(api: ApiHarness, convoy: str, action: str, body: Any = None) -> Any:
    answer = api.post("coordinator", f"/v1/deployments/{convoy}/{action}", body)
    api.project_published()
    return answer


def arrived(**short: int) -> dict[str, Any]:
    """What arrived of each line: all of it, less what is `short`."""
    return {"lines": [{"item_id": i, "quantity": q - short.get(i.replace("-", "_"), 0)}
                      for i, q in CARGO.items()]}  # fmt: skip


def row_of(api: ApiHarness, convoy: str = CONVOY) -> dict[str, Any]:
    board = ok(api.get("coordinator", "/v1/deployments", {"operation_id": QUAKE}), 200)
    [row] = [d for d in board["items"] if d["id"] == convoy]
    return row


def close_operation(api: ApiHarness, operation: str = QUAKE, **body: Any) -> Any:
    answer = api.post("coordinator", f"/v1/operations/{operation}/close", body or None)
    api.project_published()
    return answer


def test_a_convoy_of_three_lines_delivered_short_on_one_is_closed_and_takes_no_further_step(
    quake: tuple[ApiHarness, Clock],
) -> None:
    api, clock = quake
    ok(plan(api))
    clock.moment = march(2, 6)
    ok(step(api, CONVOY, "dispatch"), 200)
    clock.moment = march(2, 16)
    ok(step(api, CONVOY, "deliver", arrived(ramadan_basket=20)), 200)
    clock.moment = march(3, 9)

    closed = ok(step(api, CONVOY, "close", {"reason": "20 paniers manquants, signalés"}), 200)

    assert [(e["type"], e["data"]["reason"]) for e in closed["events"]] == [
        ("DeploymentClosed", "20 paniers manquants, signalés"),
    ]  # fmt: skip
    row = row_of(api)
    assert (row["status"], datetime.fromisoformat(row["closed_at"])) == ("closed", march(3, 9))
    assert {ln["item_id"]: ln["quantity"] for ln in row["delivered"]} == {
        BASKETS: 380, FLOUR: 50, BLANKETS: 120,
    }  # fmt: skip
    alerts = ok(api.get("coordinator", "/v1/alerts", {"kind": "transfer_discrepancy"}), 200)
    assert [(a["item_id"], a["details"]["missing"]) for a in alerts["items"]] == [(BASKETS, 20)]
    for action, body in (("deliver", arrived()), ("dispatch", None), ("cancel", None),
                         ("close", None)):  # fmt: skip
        error_of(step(api, CONVOY, action, body), 409, "deployment_closed")
    assert row_of(api)["status"] == "closed"


@pytest.mark.parametrize(
    ("action", "before", "done"),
    [("cancel", (), "cancelled"), ("close", ("dispatch", "deliver"), "closed")],
)
def test_a_cancel_or_close_sent_again_under_its_idempotency_key_answers_the_same(
    quake: tuple[ApiHarness, Clock], action: str, before: tuple[str, ...], done: str
) -> None:
    """The same request under the same key: the first answer again (200), nothing new;
    under another key (or none) it is a new request, refused as the convoy now stands."""
    api, _ = quake
    ok(plan(api))
    for earlier in before:
        ok(step(api, CONVOY, earlier, arrived() if earlier == "deliver" else None), 200)
    path, body = f"/v1/deployments/{CONVOY}/{action}", {"reason": "route coupée"}
    key = {"Idempotency-Key": f"{action}-convoy-1"}

    first = api.post("coordinator", path, body, headers=key)
    api.project_published()
    published = len(api.published("deployments"))
    again = api.post("coordinator", path, body, headers=key)
    other = api.post("coordinator", path, body, headers={"Idempotency-Key": "another"})

    assert first.status_code == 200 and again.status_code == 200, (first.text, again.text)
    assert again.json() == first.json()
    assert [e["type"] for e in first.json()["events"]] == [f"Deployment{done.title()}"]
    error_of(other, 409, f"deployment_{done}")
    assert len(api.published("deployments")) == published


def keyed(api: ApiHarness, action: str, key: str, body: Any = None) -> Any:
    """A step of the convoy sent under an idempotency key (then projected)."""
    path = f"/v1/deployments/{CONVOY}/{action}"
    answer = api.post("coordinator", path, body, headers={"Idempotency-Key": key})
    api.project_published()
    return answer


def test_a_dispatch_and_a_delivery_sent_again_under_their_keys_answer_the_same_later_on(
    quake: tuple[ApiHarness, Clock],
) -> None:
    """Each flow ran across two writers (the convoy's and a stock's); the same request under
    the same key, once the convoy went on (delivered, then closed), gets the first answer,
    events and position, and moves nothing; another key is a new request, refused."""
    api, _ = quake
    ok(plan(api))
    dispatched = ok(keyed(api, "dispatch", "dispatch-1"), 200)
    delivered = ok(keyed(api, "deliver", "deliver-1", arrived(ramadan_basket=20)), 200)
    ok(step(api, CONVOY, "close"), 200)
    published = len(api.published())

    again = ok(keyed(api, "dispatch", "dispatch-1"), 200)
    delivered_again = ok(keyed(api, "deliver", "deliver-1", arrived(ramadan_basket=20)), 200)

    assert again == dispatched and delivered_again == delivered
    assert [e["type"] for e in dispatched["events"]] == [
        "DeploymentDispatchStarted", "TransferDispatched", "DeploymentDispatched",
    ]  # fmt: skip
    assert dispatched["position"] is not None
    assert len(api.published()) == published
    error_of(keyed(api, "dispatch", "dispatch-2"), 409, "deployment_closed")


def test_a_dispatch_refused_as_short_is_refused_again_under_its_key_though_stock_came(
    quake: tuple[ApiHarness, Clock],
) -> None:
    """1,500 baskets asked of Marrakech's 1,000: refused, the convoy planned again. Stock
    arrives; the same request under its key is the same refusal (it is not tried anew),
    another key dispatches."""
    api, _ = quake
    big = convoy_body() | {"lines": [{"item_id": BASKETS, "quantity": 1500}]}
    ok(api.post("coordinator", "/v1/deployments", big), 201)
    api.project_published()
    short = error_of(keyed(api, "dispatch", "dispatch-1"), 409, "insufficient_stock")
    api.apply(StockReceived(receipt_id="rcpt-more", location_id=MARRAKECH, item_id=BASKETS,
                            quantity=1000, lot="L-more"))  # fmt: skip
    api.project_published()

    again = error_of(keyed(api, "dispatch", "dispatch-1"), 409, "insufficient_stock")
    anew = ok(keyed(api, "dispatch", "dispatch-2"), 200)

    assert {k: again[k] for k in ("error", "message")} == {
        k: short[k] for k in ("error", "message")
    }
    assert row_of(api)["status"] == "dispatched" and anew["events"]


@pytest.mark.parametrize(
    ("steps", "code"),
    [((), "deployment_planned"), (("dispatch",), "deployment_dispatched"),
     (("cancel",), "deployment_cancelled")],
)  # fmt: skip
def test_a_convoy_is_closed_only_once_delivered(
    quake: tuple[ApiHarness, Clock], steps: tuple[str, ...], code: str
) -> None:
    api, _ = quake
    ok(plan(api))
    for action in steps:
        ok(step(api, CONVOY, action), 200)
    before = len(api.published("deployments"))

    refused = error_of(step(api, CONVOY, "close"), 409, code)

    assert refused["status"] == code.removeprefix("deployment_")
    assert len(api.published("deployments")) == before
    error_of(step(api, "dep-ghost", "close"), 404, "unknown_deployment")


def test_a_closed_operation_takes_no_new_convoy_while_its_convoys_go_on(
    quake: tuple[ApiHarness, Clock],
) -> None:
    api, clock = quake
    ok(plan(api))
    clock.moment = march(20, 17)

    closed = ok(close_operation(api, reason="relais à la reconstruction"))
    later = plan(api, "dep-al-haouz-02")
    again = plan(api)  # the first convoy's plan sent again: a retry, answered as the first time
    elsewhere = plan(api, "dep-souss-01", FLOODS)

    assert [(e["type"], e["data"]["closed_on"]) for e in closed["events"]] == [
        ("OperationClosed", "2026-03-20"),
    ]  # fmt: skip
    assert error_of(later, 409, "operation_closed")["closed_on"] == "2026-03-20"
    assert ok(again, 200)["id"] == CONVOY
    ok(elsewhere)
    listed = ok(api.get("coordinator", "/v1/operations"), 200)["items"]
    assert {o["operation_id"]: (o["status"], o["closed_on"]) for o in listed} == {
        QUAKE: ("closed", "2026-03-20"), FLOODS: ("open", None),
    }  # fmt: skip
    assert sorted(d["id"] for d in ok(api.get("coordinator", "/v1/deployments"), 200)["items"]) == [
        CONVOY, "dep-souss-01",
    ]  # fmt: skip
    ok(step(api, CONVOY, "dispatch"), 200)  # planned before the close: it goes on
    error_of(close_operation(api), 409, "operation_closed")
    error_of(close_operation(api, "op-ghost"), 404, "unknown_operation")


# ---- on the board --------------------------------------------------------------------------


@pytest.fixture
def board(tmp_path: Path) -> Iterator[ApiHarness]:
    """The earthquake operation with its stock, and the coordinator signed in on the web."""
    with ApiHarness(tmp_path, auto_project=True) as api:
        api.create_user(USERNAMES["coordinator"], "coordinator", password=PASSWORD)
        api.apply(
            ItemDefined(item_id=BLANKETS, name="Couverture", unit="piece"),
            *(StockReceived(receipt_id=f"rcpt-{item}", location_id=MARRAKECH, item_id=item,
                            quantity=1000, lot=f"L-{item}") for item in CARGO),
            QUAKE_OPENED,
        )  # fmt: skip
        sign_in(api, "coordinator")
        yield api


def plan_on_the_form(api: ApiHarness, **rows: str) -> Any:
    form = api.client.get("/coordinator/new/convoy")
    body = {"csrf": csrf_of(form.text), "form_id": CONVOY, "operation_id": QUAKE,
            "from_location_id": MARRAKECH, "to_location_id": SITE} | rows  # fmt: skip
    return api.client.post("/coordinator/new/convoy", data=body, follow_redirects=False)


def on_the_board(api: ApiHarness, path: str, **fields: str) -> Any:
    page = api.client.get(f"/coordinator?operation_id={QUAKE}")
    body = {"csrf": csrf_of(page.text), "operation_id": QUAKE} | fields
    return api.client.post(path, data=body, follow_redirects=False)


def test_the_plan_form_offers_six_line_rows_and_plans_the_filled_ones(board: ApiHarness) -> None:
    form = board.client.get("/coordinator/new/convoy").text
    assert [f'id="item_id-{n}"' in form and f'id="quantity-{n}"' in form for n in range(7)] == [
        True, True, True, True, True, True, False,
    ]  # fmt: skip

    answer = plan_on_the_form(board, **{
        "item_id-0": BASKETS, "quantity-0": "400", "item_id-1": "", "quantity-1": "",
        "item_id-3": FLOUR, "quantity-3": "50", "item_id-5": BLANKETS, "quantity-5": "120",
    })  # fmt: skip

    assert answer.status_code == 303, answer.text
    assert row_of(board)["planned"] == [{"item_id": i, "quantity": q} for i, q in CARGO.items()]


def test_a_mistake_in_the_plan_form_is_shown_on_its_row(board: ApiHarness) -> None:
    wrong = plan_on_the_form(board, **{"item_id-0": BASKETS, "quantity-0": "400",
                                       "item_id-2": FLOUR, "quantity-2": "cinquante",
                                       "quantity-4": "12"})  # fmt: skip
    empty = plan_on_the_form(board)
    nowhere = plan_on_the_form(board, **{"to_location_id": "", "quantity-1": "zéro"})

    assert wrong.status_code == 422
    assert re.search(r'id="err-quantity-2">[^<]*nombre entier', wrong.text)
    assert re.search(r'id="err-item_id-4">[^<]*obligatoire', wrong.text)
    assert 'value="400"' in wrong.text  # what was typed stays
    assert empty.status_code == 422 and 'id="err-lines"' in empty.text
    assert 'id="err-to_location_id"' in nowhere.text and 'id="err-quantity-1"' in nowhere.text
    assert 'id="err-lines"' not in nowhere.text  # a wrong row is no missing line
    assert board.published("deployments") == []


def test_the_board_closes_a_delivered_convoy_and_the_operation_and_refuses_in_words(
    board: ApiHarness,
) -> None:
    rows = {f"{name}-{n}": value for n, (item, q) in enumerate(CARGO.items())
            for name, value in (("item_id", item), ("quantity", str(q)))}  # fmt: skip
    assert plan_on_the_form(board, **rows).status_code == 303
    assert on_the_board(board, f"/coordinator/deployments/{CONVOY}/dispatch").status_code == 303
    page = board.client.get(f"/coordinator?operation_id={QUAKE}").text
    for item, quantity in CARGO.items():  # the shortfall form: what arrived of each line
        field = f'name="received:{item}" inputmode="numeric" pattern="[0-9]*" size="6"'
        assert f'{field} value="{quantity}"' in page
    short = {f"received:{item}": str(q - 20 if item == BASKETS else q) for item, q in CARGO.items()}
    delivered = on_the_board(board, f"/coordinator/deployments/{CONVOY}/deliver", **short)
    assert delivered.status_code == 303
    assert {ln["item_id"]: ln["quantity"] for ln in row_of(board)["delivered"]}[BASKETS] == 380
    page = board.client.get(f"/coordinator?operation_id={QUAKE}").text
    assert f'aria-label="Clôturer {CONVOY}"' in page

    closed = on_the_board(board, f"/coordinator/deployments/{CONVOY}/close")
    twice = on_the_board(board, f"/coordinator/deployments/{CONVOY}/close")
    page = board.client.get(closed.headers["location"]).text

    assert closed.status_code == 303 and "done=close" in closed.headers["location"]
    assert "Convoi clôturé." in page and "status-closed" in page
    assert f'aria-label="Clôturer {CONVOY}"' not in page
    assert twice.status_code == 409
    assert "Ce convoi est clôturé : plus rien ne peut être fait avec lui." in twice.text

    ended = on_the_board(board, f"/coordinator/operations/{QUAKE}/close", reason="fin des secours")
    page = board.client.get(ended.headers["location"]).text
    refused = plan_on_the_form(board, **{"form_id": "dep-al-haouz-02", "item_id-0": BASKETS,
                                         "quantity-0": "10"})  # fmt: skip

    assert ended.status_code == 303 and "Opération clôturée." in page and "Clôturée le" in page
    assert f"/coordinator/operations/{QUAKE}/close" not in page
    assert f'<option value="{QUAKE}"' not in board.client.get("/coordinator/new/convoy").text
    assert refused.status_code == 409
    assert re.search(r'id="err-operation_id">Cette opération est clôturée depuis le', refused.text)
    [event] = [e for e in board.published("reference") if e.type == "OperationClosed"]
    assert event.data["reason"] == "fin des secours"
