"""Structured logs and correlation ids: from the HTTP header to the events and every log line."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest
from hypothesis import given as given_texts
from hypothesis import strategies as st

from services.runtime.logs import ECHOES, correlated, logging_config, scrub
from services.runtime.settings import Settings
from tests.support.api import ApiHarness

RECEIPT = {
    "id": "rcpt-logs-1",
    "location_id": "wh-casablanca",
    "item_id": "ramadan-basket",
    "quantity": 12,
}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[io.StringIO]:
    """The production logging configuration, writing into a buffer; the test's logging restored."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buffer = io.StringIO()
    config = logging_config(Settings(data_dir=tmp_path))
    logging.config.dictConfig(config)
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    try:
        yield buffer
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_a_log_line_is_one_json_object_with_time_level_logger_and_correlation(
    configured: io.StringIO,
) -> None:
    log = logging.getLogger("aid.test")
    with correlated("corr-7"):
        log.warning("stock low at %s", "wh-casablanca", extra={"on_hand": 3})
    log.info("outside any request")
    inside, outside = lines(configured)
    assert inside["message"] == "stock low at wh-casablanca"
    assert inside["level"] == "WARNING" and inside["logger"] == "aid.test"
    assert inside["correlation_id"] == "corr-7" and inside["on_hand"] == 3
    assert datetime.fromisoformat(str(inside["time"])).utcoffset() == timedelta(0)
    assert outside["correlation_id"] is None


def http_lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [line for line in lines(buffer) if line["logger"] == "aid.http"]


def test_the_request_correlation_id_is_echoed_logged_and_carried_by_the_events(
    api: ApiHarness, configured: io.StringIO
) -> None:
    response = api.client.post(
        "/v1/stock/receipts",
        json=RECEIPT,
        headers={**api.headers("admin"), "X-Correlation-ID": "convoy-12:req-3"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["X-Correlation-ID"] == "convoy-12:req-3"
    [envelope] = api.publisher.envelopes("stock")
    assert envelope.correlation_id == "convoy-12:req-3"
    [line] = http_lines(configured)
    assert line["correlation_id"] == "convoy-12:req-3"
    assert line["route"] == "/v1/stock/receipts" and line["status"] == 201
    assert isinstance(line["duration_ms"], float)


def test_without_a_usable_header_the_api_makes_an_id_and_uses_it_throughout(
    api: ApiHarness, configured: io.StringIO
) -> None:
    for n, given in enumerate((None, 'has spaces; and "quotes"', "x" * 500)):
        headers = api.headers("admin")
        if given is not None:
            headers["X-Correlation-ID"] = given
        body = {**RECEIPT, "id": f"rcpt-logs-made-{n}"}
        response = api.client.post("/v1/stock/receipts", json=body, headers=headers)
        made = response.headers["X-Correlation-ID"]
        assert made != given and len(made) == 32 and int(made, 16) >= 0
        assert api.publisher.envelopes("stock")[-1].correlation_id == made
    assert len({line["correlation_id"] for line in http_lines(configured)}) == 3


def test_a_request_log_line_names_the_route_template_not_the_raw_path(
    api: ApiHarness, configured: io.StringIO
) -> None:
    api.client.get("/v1/households/AB123456", headers=api.headers("admin"))
    api.client.get("/no/such/page/AB123456", headers=api.headers("admin"))
    logged = " ".join(str(line) for line in http_lines(configured))
    assert len(http_lines(configured)) == 2
    assert "AB123456" not in logged
    assert "unmatched" in logged


def test_the_formatter_holds_its_options_as_plain_dicts(configured: io.StringIO) -> None:
    """`dictConfig` would hand them over as `ConvertingDict`s, which convert a value each time
    it is read: every line of the JSON formatter read its renamed fields so."""
    formatter = logging.getLogger().handlers[0].formatter
    assert type(formatter.rename_fields) is dict  # type: ignore[union-attr]
    assert formatter.rename_fields == {"levelname": "level", "name": "logger"}  # type: ignore[union-attr]


FRAGMENTS = st.sampled_from(
    [
        "input_value=",
        "'AB123456'",
        ", input_type=",
        "str",
        "Key (",
        "national_id",
        ")=",
        "(AB123456)",
        "Failing row contains ",
        "(",
        ")",
        "invalid input syntax for type integer: ",
        "invalid input value for enum: ",
        "\n",
        " ",
        ":",
        "=",
    ]
)


@given_texts(st.lists(FRAGMENTS, max_size=12).map("".join))
def test_scrub_looks_for_its_words_first_and_replaces_what_every_pattern_would(
    text: str,
) -> None:
    """The words `scrub` looks for before each pattern are ones the pattern cannot match
    without: it redacts exactly what running every pattern on every text would."""
    expected = text
    for _, echoed, kept in ECHOES:
        expected = echoed.sub(kept, expected)
    assert scrub(text) == expected
