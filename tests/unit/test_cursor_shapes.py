"""A cursor is the sort keys of a list's last row sent: one a client altered, whose keys do
not fit the list (too many or too few, of another type, beyond a 64-bit integer, a number
that is no finite number, a date that is none, a NUL), is a 422 `invalid_cursor` naming
`cursor`, on every list and on the pages that list a page at a time; never a 500 from the
database, nor a 200 that silently reads from somewhere else."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from projections.ledger_queries import record_checkpoint
from services.runtime.ledger_verify import checkpoint_of
from tests.support.api import ITEMS, USERNAMES, WAREHOUSES, ApiHarness
from tests.unit.test_web_ui import sign_in

CARD = f"/v1/inventory/{WAREHOUSES[1]}/{ITEMS[0]}/card"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


def b64(keys: Any) -> str:
    """The cursor a client would forge: the JSON of `keys` in base64url, unpadded."""
    return b64_raw(json.dumps(keys))


def b64_raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def assert_bad_cursor(answer: Any) -> None:
    assert answer.status_code == 422, answer.text
    assert (answer.json()["error"], answer.json()["field"]) == ("invalid_cursor", "cursor")


HUGE = b64_raw("[99999999999999999999999999,1]")
TOO_FAR = [b64_raw("[1e308,1e308]"), b64([2**63, 1]), b64([-(2**63) - 1, 1]), b64([1.5, 1])]


@pytest.mark.parametrize("cursor", [HUGE, *TOO_FAR, b64(["1", 1]), b64([True, 1])])
def test_a_stock_card_cursor_beyond_what_its_keys_hold_is_a_422(
    api: ApiHarness, cursor: str
) -> None:
    """Given the Marrakech blanket card, a cursor of numbers no log offset can be."""
    assert_bad_cursor(api.get("admin", CARD, {"cursor": cursor}))


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_the_stock_card_pages_answer_the_same_422_for_such_an_after(
    api: ApiHarness, role: str
) -> None:
    sign_in(api, role, token=api.tokens[USERNAMES[role]])
    where = {"location_id": WAREHOUSES[0], "item_id": ITEMS[0]}  # the operator's own

    for after in (HUGE, TOO_FAR[0]):
        assert_bad_cursor(api.client.get(f"/{role}/card", params=where | {"after": after}))


MISSHAPEN = [
    b64(["a", "b", "c", "d", "e"]),
    b64([]),
    b64(["2026-13-45T99:00:00", "x"]),
    b64(["\u0000", "\u0000"]),
    b64([1, 2]),
    b64([[], {}]),
]


@pytest.mark.parametrize("path", ["/v1/alerts", "/v1/inventory/kits"])
@pytest.mark.parametrize("cursor", MISSHAPEN)
def test_a_cursor_not_shaped_as_the_lists_keys_is_a_422_on_lists_read_in_memory(
    api: ApiHarness, path: str, cursor: str
) -> None:
    assert_bad_cursor(api.get("admin", path, {"cursor": cursor}))


@pytest.mark.parametrize(
    "path", ["/v1/locations", "/v1/items", "/v1/users", "/v1/donors", "/v1/operations"]
)
@pytest.mark.parametrize("keys", [[1], [1.5], ["\u0000"], ["x" * 65], [True]])
def test_a_cursor_of_another_type_is_a_422_on_lists_read_by_id(
    api: ApiHarness, path: str, keys: list[Any]
) -> None:
    assert_bad_cursor(api.get("admin", path, {"cursor": b64(keys)}))


@pytest.mark.parametrize(
    ("path", "keys"),
    [("/v1/donations", ["2026-13-45T99:00:00", "don-1"]),
     ("/v1/donations", [20260101, "don-1"]),
     ("/v1/inventory/expiring", ["not-a-day", WAREHOUSES[0], ITEMS[0], "L1"])],
)  # fmt: skip
def test_a_cursor_whose_moment_is_none_is_a_422(
    api: ApiHarness, path: str, keys: list[Any]
) -> None:
    assert_bad_cursor(api.get("admin", path, {"cursor": b64(keys)}))


def test_a_cursor_handed_out_still_reads_the_next_page(api: ApiHarness) -> None:
    """The checks refuse only what no list hands out: the items' own cursor pages on."""
    first = api.get("admin", "/v1/items", {"limit": 1}).json()

    second = api.get("admin", "/v1/items", {"limit": 1, "cursor": first["next"]})

    assert second.status_code == 200, second.text
    assert second.json()["items"] != first["items"]


def checkpoints(api: ApiHarness, count: int) -> None:
    key = api.settings.checkpoints()
    for n in range(1, count + 1):
        body = key.sign(checkpoint_of([], f"2026-03-{n:02d}T10:00:00+00:00"))
        record_checkpoint(api.engine, body, datetime(2026, 3, n, 10, tzinfo=UTC))


def test_the_checkpoints_page_with_limit_and_cursor_newest_first(api: ApiHarness) -> None:
    checkpoints(api, 5)
    days, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        answer = api.get("auditor", "/v1/ledger/checkpoints", params)
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["items"]) <= 2
        days += [c["issued_at"][:10] for c in answer.json()["items"]]
        cursor = answer.json()["next"]
        if cursor is None:
            break

    assert days == [f"2026-03-0{n}" for n in (5, 4, 3, 2, 1)]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": -1}, "limit"), ({"limit": "abc"}, "limit"), ({"limit": 100_000}, "limit"),
     ({"cursor": "garbage"}, "cursor"), ({"cursor": b64(["1"])}, "cursor")],
)  # fmt: skip
def test_the_checkpoints_refuse_a_bad_limit_or_cursor(
    api: ApiHarness, params: dict[str, Any], field: str
) -> None:
    answer = api.get("auditor", "/v1/ledger/checkpoints", params)

    assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
