"""No value a person typed into a personal field reaches a log line, a traceback, an error body
or a 5xx: each personal field, malformed in several ways, through every route and page that
takes one, with every log record captured as the API's own handler would write it.

A national ID typed with a space or a dash, or scanned raw, once ended the agent's lookup page
in a 500 whose traceback repeated the value.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Engine, exc, text

from services.runtime.logs import PersonalDataFilter, logging_config
from services.runtime.settings import Settings
from tests.support.api import SITE, USERNAMES, ApiHarness
from tests.unit.test_web_ui import PASSWORD, sign_in

# Each value is distinctive enough to be found anywhere it leaks.
MALFORMED = {
    "national_id": ["BE 771203", "BE-771203", "]C0BE771203\x1d", "BE7712039999999", "7BE7712"],
    "registry_number": ["RSU 2024 771203 Ω", "RSU*771203", "R" * 40 + "771203"],
    "head_name": ["Zineb 771203 " * 30, "\x00Zineb771203", "Zineb\n771203"],
    "phone": ["+212 771203 " * 10, "phone:771203\n"],
}
REGISTRATION = {"id": "hh-leak-001", "head_name": "Zineb Tazi", "national_id": "ZT100200",
                "size": 4, "region_code": "MA07", "province_code": "MA0701"}  # fmt: skip


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        harness.create_user(USERNAMES["agent"], "agent", password=PASSWORD, sites=[SITE])
        opened = harness.post("coordinator", "/v1/campaigns", {
            "id": "ramadan-2026", "name": "Ramadan 2026", "item_id": "ramadan-basket",
            "quantity_per_household": 1, "starts_on": "2026-02-18", "ends_on": "2026-03-31",
        })  # fmt: skip
        assert opened.status_code == 201, opened.text
        yield harness


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record, through the filter the API's log handler has."""
    caplog.handler.addFilter(PersonalDataFilter())
    with caplog.at_level(logging.DEBUG):
        yield caplog


def written(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(caplog.handler.format(r) for r in caplog.records) + caplog.text


def cases() -> Iterator[tuple[str, str]]:
    for field, values in MALFORMED.items():
        for value in values:
            yield field, value


@pytest.mark.parametrize(("field", "value"), list(cases()))
def test_a_malformed_personal_field_leaks_nowhere(
    api: ApiHarness, logged: pytest.LogCaptureFixture, field: str, value: str
) -> None:
    answers = [api.post("agent", "/v1/households", REGISTRATION | {field: value})]
    if field in ("national_id", "registry_number"):
        answers.append(api.post("agent", "/v1/households/lookup", {field: value}))
    if field == "national_id":
        sign_in(api, "agent")
        page = api.client.get("/agent")
        csrf = page.text.split('data-csrf="', 1)[1].split('"', 1)[0]
        asked = {"national_id": value, "campaign_id": "ramadan-2026"}
        answers.append(api.client.post("/agent/lookup", json=asked, headers={"X-CSRF-Token": csrf}))

    for answer in answers:  # refused in words (the page normalises, then finds no one)
        assert 400 <= answer.status_code < 500 or answer.json().get("found") is False, answer.text
        assert "771203" not in answer.text
    assert "771203" not in written(logged)


def test_a_cin_typed_with_spaces_or_dashes_is_found_on_the_lookup_page(api: ApiHarness) -> None:
    assert api.post("agent", "/v1/households", REGISTRATION).status_code == 201
    sign_in(api, "agent")
    csrf = api.client.get("/agent").text.split('data-csrf="', 1)[1].split('"', 1)[0]
    for typed in ("ZT 100200", "zt-100200", " ZT100200 "):
        asked = {"national_id": typed, "campaign_id": "ramadan-2026"}
        answer = api.client.post("/agent/lookup", json=asked, headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 200, answer.text
        assert answer.json()["found"] is True


class Lookup(BaseModel):
    national_id: str = Field(pattern=r"^[A-Z]{1,2}[0-9]{1,8}$")


def test_the_filter_removes_what_a_traceback_and_its_arguments_repeat() -> None:
    typed = "BE " + "771203"  # (a literal would show in the traceback's source line)
    try:
        Lookup(national_id=typed)
    except ValidationError:
        exc_info: Any = sys.exc_info()
    record = logging.LogRecord(
        "api", logging.ERROR, __file__, 1, "%(national_id)s: size %(size)s", None, exc_info
    )
    record.args = {"national_id": typed, "size": 4}
    PersonalDataFilter().filter(record)
    line = logging.Formatter().format(record)

    assert "771203" not in line
    assert "string_pattern_mismatch" in line and "national_id" in line and "size 4" in line


def test_every_log_handler_of_the_processes_has_the_filter() -> None:
    config = logging_config(Settings())
    for handler in config["handlers"].values():
        assert "personal" in handler["filters"]
    assert config["filters"]["personal"]["()"] is PersonalDataFilter


@pytest.mark.parametrize(
    "refused",
    [
        "INSERT INTO leak_probe (x, y) VALUES (:x, 1)",  # the key taken: PostgreSQL names it
        "INSERT INTO leak_probe (x, y) VALUES (:x || '-2', NULL)",  # NOT NULL: the row named
        "UPDATE leak_probe SET y = CAST(:x AS INTEGER)",  # PostgreSQL names the bad input
    ],
)
def test_a_refused_write_logs_none_of_its_values(
    engine: Engine, logged: pytest.LogCaptureFixture, refused: str
) -> None:
    """A worker logs a write the database refused (and retries it): neither SQLAlchemy's echo
    of the bound values nor PostgreSQL's of the row reaches the line."""
    value = "Zineb " + "771203"
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE leak_probe (x VARCHAR(40) PRIMARY KEY, y INT NOT NULL)"))
        conn.execute(text("INSERT INTO leak_probe (x, y) VALUES (:x, 1)"), {"x": value})
    try:
        with engine.begin() as conn:
            conn.execute(text(refused), {"x": value})
    except exc.DBAPIError as failed:
        logging.getLogger("services.runtime.projector").warning("refused: %s", failed)
        logging.getLogger("services.runtime.projector").exception("refused")
    else:
        pytest.skip("this database takes the write")  # SQLite casts any text to an integer

    lines = written(logged)
    assert "leak_probe" in lines
    assert "771203" not in lines
