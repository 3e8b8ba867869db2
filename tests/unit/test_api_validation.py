"""What the API refuses, and how: a 422 naming the field, a 409, a 503 — and nothing published."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.schemas.common import printable
from events import Actor
from tests.support.api import USERNAMES, ApiHarness

RECEIPT = {"location_id": "wh-casablanca", "item_id": "ramadan-basket", "quantity": 120}
AMIZMIZ = {
    "id": "site-amizmiz",
    "name": "Point de distribution Amizmiz",
    "kind": "site",
    "region_code": "MA07",
    "region_name": "Marrakech-Safi",
    "province_code": "MA0701",
    "province_name": "Al Haouz",
}
BLANKET = {"id": "blanket-wool", "name": "Couverture laine", "unit": "piece"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


def receipt(**changes: Any) -> dict[str, Any]:
    """The Casablanca basket receipt with some fields changed (None removes a field)."""
    body = RECEIPT | changes
    return {k: v for k, v in body.items() if v is not None}


def assert_invalid(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["message"]
    assert body["field"] == field, body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(receipt(quantity=0), "quantity", id="zero"),
        pytest.param(receipt(quantity=-5), "quantity", id="negative"),
        pytest.param(receipt(quantity=1.5), "quantity", id="fraction"),
        pytest.param(receipt(quantity="ten"), "quantity", id="words"),
        pytest.param(receipt(quantity="120"), "quantity", id="numeric-string"),
        pytest.param(receipt(quantity=True), "quantity", id="boolean"),
        pytest.param(receipt(quantity=10**12), "quantity", id="a-trillion"),
        pytest.param(receipt(quantity=10**9), "quantity", id="exactly-10^9"),
        pytest.param(receipt(quantity=None), "quantity", id="missing-quantity"),
        pytest.param(receipt(location_id="wh-tanger"), "location_id", id="unknown-location"),
        pytest.param(receipt(item_id="tent-family"), "item_id", id="unknown-item"),
        pytest.param(receipt(occurred_at="2026-03-01T10:00:00"), "occurred_at", id="naive-time"),
        pytest.param(receipt(occurred_at="yesterday"), "occurred_at", id="not-a-time"),
        pytest.param(receipt(id="Bad Id!"), "id", id="id-neither-uuid-nor-slug"),
        pytest.param(receipt(lot=""), "lot", id="empty-lot"),
        pytest.param(receipt(expires_on="31/12/2026"), "expires_on", id="non-iso-date"),
        pytest.param(receipt(colour="blue"), "colour", id="unknown-extra-field"),
    ],
)
def test_an_invalid_receipt_is_a_422_naming_the_field_and_publishes_nothing(
    api: ApiHarness, body: dict[str, Any], field: str
) -> None:
    assert_invalid(api.post("admin", "/v1/stock/receipts", body), field)
    assert api.published() == []


def test_a_receipt_of_120_baskets_in_casablanca_is_published_once_as_the_signed_in_user(
    api: ApiHarness,
) -> None:
    r = api.post("operator", "/v1/stock/receipts", receipt(id="rcpt-casa-0001", lot="RB-2026-03"))

    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["position"]
    assert answer["id"] == "rcpt-casa-0001"
    [envelope] = api.published()
    assert envelope.type == "StockReceived"
    assert envelope.actor == Actor(user_id=USERNAMES["operator"], role="operator")
    assert str(envelope.event_id) == answer["event_id"]
    assert envelope.data["quantity"] == 120
    assert envelope.data["location_id"] == "wh-casablanca"
    assert api.publisher.streams["stock"][0][0] == "wh-casablanca"  # keyed by location


def test_a_receipt_cannot_choose_its_own_actor(api: ApiHarness) -> None:
    smuggled = receipt(actor={"user_id": "amina.admin", "role": "admin"})

    assert_invalid(api.post("operator", "/v1/stock/receipts", smuggled), "actor")
    assert api.published() == []


def test_a_repeated_receipt_answers_the_same_id_and_event_id(api: ApiHarness) -> None:
    body = receipt(id="rcpt-casa-0002")
    first = api.post("admin", "/v1/stock/receipts", body).json()

    again = api.post("admin", "/v1/stock/receipts", body)

    assert again.status_code in (200, 201), again.text
    assert (again.json()["id"], again.json()["event_id"]) == (first["id"], first["event_id"])


def test_a_repeated_receipt_once_projected_answers_200_and_publishes_nothing_new(
    api: ApiHarness,
) -> None:
    body = receipt(id="rcpt-casa-0003")
    first = api.post("admin", "/v1/stock/receipts", body).json()
    api.project_published()

    again = api.post("admin", "/v1/stock/receipts", body)

    assert again.status_code == 200, again.text
    assert (again.json()["id"], again.json()["event_id"]) == (first["id"], first["event_id"])
    assert len(api.published("stock")) == 1


def test_an_idempotency_key_stands_for_the_receipt_id(api: ApiHarness) -> None:
    key = {"Idempotency-Key": "3f1c9a52-0d5e-4c1b-9a57-0e2f6d1b8c44"}
    first = api.post("admin", "/v1/stock/receipts", receipt(), headers=key).json()
    api.project_published()

    again = api.post("admin", "/v1/stock/receipts", receipt(), headers=key)

    assert again.status_code == 200, again.text
    assert again.json()["id"] == first["id"] == key["Idempotency-Key"]
    assert len(api.published("stock")) == 1


def test_a_receipt_id_reused_for_other_goods_once_projected_is_a_409(api: ApiHarness) -> None:
    api.post("admin", "/v1/stock/receipts", receipt(id="rcpt-casa-0004"))
    api.project_published()

    r = api.post("admin", "/v1/stock/receipts", receipt(id="rcpt-casa-0004", quantity=99))

    assert r.status_code == 409, r.text
    assert r.json()["error"] == "idempotency_conflict"
    assert len(api.published("stock")) == 1


def test_a_receipt_id_reused_for_other_goods_before_projection_is_refused(
    api: ApiHarness,
) -> None:
    api.post("admin", "/v1/stock/receipts", receipt(id="rcpt-casa-0005"))

    r = api.post("admin", "/v1/stock/receipts", receipt(id="rcpt-casa-0005", quantity=99))

    assert r.status_code in (409, 503), r.text
    assert len(api.published("stock")) == 1


def test_an_idempotency_key_that_is_not_an_id_is_a_422(api: ApiHarness) -> None:
    client = TestClient(api.app, raise_server_exceptions=False)
    headers = api.headers("admin") | {"Idempotency-Key": "Bad Key!"}

    r = client.post("/v1/stock/receipts", json=receipt(), headers=headers)

    assert_invalid(r, "Idempotency-Key")
    assert api.published() == []


def test_with_kafka_down_a_receipt_is_a_quick_503_with_retry_after(api: ApiHarness) -> None:
    api.publisher.down = True
    started = time.monotonic()

    r = api.post("admin", "/v1/stock/receipts", receipt(id="rcpt-casa-0006"))

    assert time.monotonic() - started < 1.0
    assert r.status_code == 503, r.text
    assert int(r.headers["Retry-After"]) > 0
    assert r.json()["error"] == "unavailable"
    assert api.published() == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/locations", AMIZMIZ | {"kind": "depot"}, "kind"),
        ("/v1/locations", AMIZMIZ | {"id": "Site Amizmiz"}, "id"),
        ("/v1/locations", {k: v for k, v in AMIZMIZ.items() if k != "region_code"}, "region_code"),
        ("/v1/locations", AMIZMIZ | {"name": ""}, "name"),
        ("/v1/items", BLANKET | {"unit": ""}, "unit"),
        ("/v1/items", BLANKET | {"weight_kg": 2}, "weight_kg"),
    ],
)
def test_an_invalid_registration_is_a_422_naming_the_field(
    api: ApiHarness, path: str, body: dict[str, Any], field: str
) -> None:
    assert_invalid(api.post("coordinator", path, body), field)
    assert api.published() == []


@pytest.mark.parametrize(("path", "body"), [("/v1/locations", AMIZMIZ), ("/v1/items", BLANKET)])
def test_registering_the_same_thing_twice_answers_200_and_publishes_nothing_new(
    api: ApiHarness, path: str, body: dict[str, Any]
) -> None:
    assert api.post("coordinator", path, body).status_code == 201
    api.project_published()

    again = api.post("coordinator", path, body)

    assert again.status_code == 200, again.text
    assert again.json()["id"] == body["id"]
    assert len(api.published("reference")) == 1


@pytest.mark.parametrize(
    ("path", "body", "change"),
    [("/v1/locations", AMIZMIZ, {"region_code": "MA06"}), ("/v1/items", BLANKET, {"unit": "kg"})],
)
def test_registering_other_values_under_a_taken_id_is_a_409(
    api: ApiHarness, path: str, body: dict[str, Any], change: dict[str, str]
) -> None:
    api.post("coordinator", path, body)
    api.project_published()

    r = api.post("coordinator", path, body | change)

    assert r.status_code == 409, r.text
    assert r.json()["error"] == "already_exists"
    assert r.json()["message"]
    assert len(api.published("reference")) == 1


def test_registering_other_values_under_an_id_not_yet_projected_is_refused(
    api: ApiHarness,
) -> None:
    api.post("coordinator", "/v1/locations", AMIZMIZ)

    r = api.post(
        "coordinator", "/v1/locations", AMIZMIZ | {"name": "Point de distribution Amizmiz 2"}
    )

    assert r.status_code in (409, 503), r.text
    assert len(api.published("reference")) == 1


@pytest.mark.parametrize("after", ["garbage", "stock:zero:1", "stock:0"])
def test_a_read_after_a_malformed_position_is_a_422_naming_after(
    api: ApiHarness, after: str
) -> None:
    assert_invalid(api.get("admin", "/v1/inventory", params={"after": after}), "after")


def test_a_read_after_a_write_says_whether_the_read_models_had_caught_up_with_it(
    api: ApiHarness,
) -> None:
    written = api.post("admin", "/v1/stock/receipts", receipt(quantity=5))
    assert written.status_code == 201, written.text
    after = {"after": written.json()["position"]}

    behind = api.get("admin", "/v1/inventory", params=after)  # not projected yet
    api.project_published()
    caught_up = api.get("admin", "/v1/inventory", params=after)

    assert (behind.status_code, behind.headers["X-Read-After"]) == (200, "behind")
    assert behind.json()["items"] == []
    assert caught_up.headers["X-Read-After"] == "caught-up"
    assert [r["on_hand"] for r in caught_up.json()["items"]] == [5]
    assert "X-Read-After" not in api.get("admin", "/v1/inventory").headers


@pytest.mark.parametrize("lot", ["L\u0000X", "L\u001bY", "L\u007f"])
def test_text_holding_a_control_character_is_a_422_and_nothing_is_recorded(
    api: ApiHarness, lot: str
) -> None:
    """Two lots `L\0X` and `L\0Y` were once taken, and read back as one lot `L` (NUL ends a
    string there); PostgreSQL cannot store NUL in text at all."""
    r = api.post("admin", "/v1/stock/receipts", receipt(lot=lot))

    assert_invalid(r, "lot")
    assert "control character" in r.json()["message"]
    assert api.published("stock") == []


def test_a_reason_may_hold_a_tab_or_a_line_feed_but_no_nul(api: ApiHarness) -> None:
    received = api.post("admin", "/v1/stock/receipts", receipt(id="rcpt-void-me"))
    assert received.status_code == 201, received.text
    api.project_published()
    path = "/v1/stock/receipts/rcpt-void-me/void"

    nul = api.post("admin", path, {"reason": "saisie\u0000double"})
    voided = api.post("admin", path, {"reason": "saisie double\tquai 2\nvérifié"})

    assert_invalid(nul, "reason")
    assert voided.status_code == 201, voided.text


def _holds_a_control_character(value: Any) -> bool:
    if isinstance(value, str):
        return any((ord(c) < 32 and c not in "\t\n\r") or c == "\x7f" for c in value)
    if isinstance(value, dict):
        return any(map(_holds_a_control_character, [*value.keys(), *value.values()]))
    if isinstance(value, list):
        return any(map(_holds_a_control_character, value))
    return False


TEXT = st.text(st.sampled_from('a\\u00bf1\t\n\r\x00\x08\x0b\x0c\x1f\x7f"é'), max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@given(JSON_VALUES)
@settings(max_examples=500, deadline=None)
def test_a_body_value_is_refused_exactly_when_some_text_in_it_holds_a_control_character(
    value: Any,
) -> None:
    """Lists and mappings are searched as orjson writes them, not walked: the same verdict,
    whatever backslashes are typed before a `u0000` (or an integer orjson cannot write)."""
    refused = False
    try:
        printable(value)
    except ValueError:
        refused = True
    assert refused == _holds_a_control_character(value)


@pytest.mark.parametrize(
    ("names", "field"),
    [({"region_name": "مراكش آسفي"}, "region_name"), ({"province_name": "الحوز"}, "province_name")],
)
def test_a_location_naming_its_region_or_province_otherwise_is_a_422(
    api: ApiHarness, names: dict[str, str], field: str
) -> None:
    """Marrakech-Safi and Al Haouz are named so by the locations registered there: a new
    site calling them otherwise would rename them in every report."""
    site = AMIZMIZ | {"id": "site-asni"} | names

    refused = api.post("admin", "/v1/locations", site)
    same_names = api.post("admin", "/v1/locations", AMIZMIZ | {"id": "site-asni"})
    new_area = api.post("admin", "/v1/locations", AMIZMIZ | {
        "id": "site-tiznit", "region_code": "MA09", "region_name": "سوس ماسة",
        "province_code": "MA0901", "province_name": "تيزنيت",
    })  # fmt: skip

    assert_invalid(refused, field)
    assert same_names.status_code == 201, same_names.text
    assert new_area.status_code == 201, new_area.text


def test_inventory_as_of_a_time_without_zone_is_a_422(api: ApiHarness) -> None:
    r = api.get("admin", "/v1/inventory", params={"as_of": "2026-03-01T10:00:00"})

    assert_invalid(r, "as_of")


def test_an_unknown_route_is_a_json_404(api: ApiHarness) -> None:
    r = api.get("admin", "/v1/warehouses")

    assert r.status_code == 404
    assert r.json()["error"] == "not_found"


def test_a_wrong_method_is_a_json_405(api: ApiHarness) -> None:
    r = api.client.delete("/v1/inventory", headers=api.headers("admin"))

    assert r.status_code == 405
    assert r.json()["error"] == "method_not_allowed"


def test_an_unauthenticated_invalid_body_is_a_401_not_a_422(api: ApiHarness) -> None:
    r = api.client.post("/v1/stock/receipts", json=receipt(quantity=-5))

    assert r.status_code == 401


# ---- bodies that are no JSON at all ------------------------------------------------------------

NOT_JSON = {
    "not-utf-8": b'{"head_name": "Fatima Benali \xe9\xff", "national_id": "BE123456"}',
    "truncated": b'{"head_name": "Fatima Benali", "national_id": "BE123456", "size": 5',
    "nested-too-deep": b'{"head_name": "Fatima Benali", "x": ' + b"[" * 100_000,
}


def json_routes(api: ApiHarness) -> list[tuple[str, str]]:
    """Every operation of the API that takes a JSON body, its path parameters filled in."""
    found = []
    for path, operations in api.client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "x-1", path)))
    return found


@pytest.mark.parametrize("body", NOT_JSON.values(), ids=NOT_JSON.keys())
def test_a_body_that_is_no_json_is_a_422_naming_the_body_on_every_json_route(
    api: ApiHarness, body: bytes
) -> None:
    """Not UTF-8, cut short or nested beyond reading: the usual 422, its field `body` (not
    a character offset), and nothing of what was sent in the answer."""
    headers = api.headers("admin") | {"content-type": "application/json"}
    routes = json_routes(api)
    answers = {route: api.client.request(*route, content=body, headers=headers) for route in routes}

    def wrong(r: Any) -> bool:
        if r.status_code != 422 or any(s in r.text for s in ("Fatima", "Benali", "BE123456")):
            return True
        answer = r.json()
        named = answer["field"] == "body" and bool(answer["message"])
        return not named or answer["error"] not in ("invalid_json", "invalid_body")

    assert len(routes) > 40
    assert {route: r.text[:200] for route, r in answers.items() if wrong(r)} == {}
    assert api.published() == []


# ---- a household named twice -------------------------------------------------------------------

BASKET = {"id": "dist-amizmiz-001", "campaign_id": "ramadan-2026", "site_id": "site-amizmiz",
          "quantity": 1}  # fmt: skip
CARD = "AID1.hh-al-haouz-001.1.0f3a9c"


@pytest.mark.parametrize(
    ("who", "field", "named"),
    [
        pytest.param({"household_id": "hh-1", "national_id": "BE123456"}, "national_id",
                     ["household_id", "national_id"], id="id-and-cin"),
        pytest.param({"household_id": "hh-1", "card": CARD}, "card", ["household_id", "card"],
                     id="id-and-card"),
        pytest.param({"card": CARD, "national_id": "BE123456"}, "card", ["national_id", "card"],
                     id="cin-and-card"),
        pytest.param({}, "body", ["household_id", "national_id", "card"], id="none"),
    ],
)  # fmt: skip
def test_a_distribution_naming_its_household_twice_or_not_at_all_names_the_fields_sent(
    api: ApiHarness, who: dict[str, str], field: str, named: list[str]
) -> None:
    r = api.post("agent", "/v1/distributions", BASKET | who)

    assert_invalid(r, field)
    message = r.json()["message"]
    assert [f for f in named if f not in message] == []
    if who:  # a field that was not sent is not named
        assert [f for f in ("household_id", "national_id", "card") if f in message] == named
    assert "BE123456" not in r.text
    assert api.published() == []
