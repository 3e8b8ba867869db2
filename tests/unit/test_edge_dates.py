"""A day or a moment asked for at the calendar's very edge, where converting it to UTC or
taking the day after leaves the calendar, is a 422 naming the field and the range accepted;
never a 500 from an OverflowError. Just inside the range, it is read as any other."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import USERNAMES, WAREHOUSES, ApiHarness
from tests.unit.test_web_ui import sign_in

RANGE = "between 0001-01-02 and 9999-12-30"
JSON = "application/json"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


def assert_out_of_range(answer: httpx.Response, field: str) -> None:
    body = answer.json()
    assert answer.status_code == 422, answer.text
    assert (body["error"], body["field"]) == ("invalid_request", field), body
    assert RANGE in body["message"], body


@pytest.mark.parametrize(
    "as_of",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59+00:00",
     "0001-01-01T23:00:00-05:00"],
)  # fmt: skip
def test_stock_as_of_a_moment_at_the_calendars_edge_is_a_422(api: ApiHarness, as_of: str) -> None:
    assert_out_of_range(api.get("admin", "/v1/inventory", {"as_of": as_of}), "as_of")


@pytest.mark.parametrize("as_of", ["0001-01-02T00:00:00+14:00", "9999-12-30T23:59:59-12:00"])
def test_stock_as_of_a_moment_just_inside_the_range_is_read(api: ApiHarness, as_of: str) -> None:
    answer = api.get("admin", "/v1/inventory", {"as_of": as_of})

    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("on", ["9999-12-31", "0001-01-01"])
def test_the_auditors_stock_at_the_end_of_the_calendars_last_day_is_a_422(
    api: ApiHarness, on: str
) -> None:
    """As JSON when asked so, else the HTML error page, both saying the range."""
    sign_in(api, "auditor", token=api.tokens[USERNAMES["auditor"]])
    where = {"location_id": WAREHOUSES[1], "on": on}

    as_json = api.client.get("/auditor/stock", params=where, headers={"Accept": JSON})
    as_page = api.client.get("/auditor/stock", params=where)

    assert_out_of_range(as_json, "on")
    assert as_page.status_code == 422 and RANGE in as_page.text, as_page.text


def test_the_auditors_stock_on_the_last_day_accepted_is_shown(api: ApiHarness) -> None:
    sign_in(api, "auditor", token=api.tokens[USERNAMES["auditor"]])
    where = {"location_id": WAREHOUSES[1], "on": "9999-12-30"}

    assert api.client.get("/auditor/stock", params=where).status_code == 200
