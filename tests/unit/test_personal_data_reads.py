"""Reads of personal data: within an agent's reach, recorded, and not too many at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.app.errors import BrokerUnavailable
from services.app.limits import RateLimit
from tests.support.api import USERNAMES, ApiHarness
from tests.unit.test_households_api import EVERYONE, FATIMA, PROVINCE_WAREHOUSES, YOUSSEF

LOOKUP = "/v1/households/lookup"


@pytest.fixture
def registered(tmp_path: Path) -> Iterator[ApiHarness]:
    """Four households: three of Marrakech-Safi (MA07), Youssef of Casablanca (MA06)."""
    with ApiHarness(tmp_path) as harness:
        harness.apply(*PROVINCE_WAREHOUSES)  # the reference data knows their provinces
        for person in EVERYONE:
            assert harness.post("agent", "/v1/households", person.body()).status_code == 201
        harness.project_published()
        yield harness


def reads(harness: ApiHarness) -> list[dict]:
    return [e.data for e in harness.published("users") if e.type == "PersonalDataRead"]


def test_an_agent_reaches_only_households_of_the_regions_their_sites_serve(
    registered: ApiHarness,
) -> None:
    # The agent's site is Al Haouz (MA07); Youssef lives in Casablanca (MA06).
    by_id = registered.get("agent", f"/v1/households/{YOUSSEF.household_id}")
    by_cin = registered.post("agent", LOOKUP, {"national_id": YOUSSEF.national_id})
    unknown = registered.get("agent", "/v1/households/hh-nobody")
    coordinator = registered.get("coordinator", f"/v1/households/{YOUSSEF.household_id}")

    assert (by_id.status_code, by_cin.status_code) == (404, 404)
    assert by_id.json()["error"] == unknown.json()["error"] == "unknown_household"
    assert YOUSSEF.head_name not in by_id.text + by_cin.text
    assert coordinator.json()["personal"]["head_name"] == YOUSSEF.head_name
    assert registered.get("agent", f"/v1/households/{FATIMA.household_id}").status_code == 200


def test_a_social_worker_reaches_the_households_of_their_sites_regions_without_their_names(
    registered: ApiHarness,
) -> None:
    # Salma, a social worker at Al Haouz (MA07), finds Fatima but not Youssef of Casablanca;
    # her role is not among those that read a household's personal fields.
    by_cin = registered.post("social_worker", LOOKUP, {"national_id": FATIMA.national_id})
    beyond = registered.post("social_worker", LOOKUP, {"national_id": YOUSSEF.national_id})
    by_id = registered.get("social_worker", f"/v1/households/{YOUSSEF.household_id}")

    assert by_cin.status_code == 200, by_cin.text
    assert (by_cin.json()["id"], by_cin.json()["personal"]) == (FATIMA.household_id, None)
    assert (beyond.status_code, by_id.status_code) == (404, 404)
    assert by_id.json()["error"] == "unknown_household"
    assert FATIMA.head_name not in by_cin.text and YOUSSEF.head_name not in beyond.text
    assert [r for r in reads(registered) if r["username"] == USERNAMES["social_worker"]] == []


def test_every_read_of_personal_data_is_recorded_without_the_data(
    registered: ApiHarness,
) -> None:
    before = len(reads(registered))
    registered.get("agent", f"/v1/households/{FATIMA.household_id}")
    registered.post("agent", LOOKUP, {"national_id": FATIMA.national_id})
    registered.get("coordinator", f"/v1/households/{YOUSSEF.household_id}")
    registered.post("agent", LOOKUP, {"national_id": "ZZ999999"})  # nobody: nothing read

    recorded = reads(registered)[before:]
    assert [(r["username"], r["household_id"], r["via"]) for r in recorded] == [
        (USERNAMES["agent"], FATIMA.household_id, "household"),
        (USERNAMES["agent"], FATIMA.household_id, "lookup"),
        (USERNAMES["coordinator"], YOUSSEF.household_id, "household"),
    ]
    text = str(recorded)
    assert not [s for person in EVERYONE for s in person.secrets if s in text]


def test_lookups_are_limited_per_user_and_the_limit_lifts_after_its_window(
    registered: ApiHarness,
) -> None:
    clock = [0.0]
    registered.app.state.services.lookups = RateLimit("lookups", 3, 60, lambda: clock[0])
    for _ in range(3):
        found = registered.post("agent", LOOKUP, {"national_id": FATIMA.national_id})
        assert found.status_code == 200, found.text

    refused = registered.post("agent", LOOKUP, {"national_id": FATIMA.national_id})
    other_user = registered.post("coordinator", LOOKUP, {"national_id": FATIMA.national_id})
    clock[0] += 60
    later = registered.post("agent", LOOKUP, {"national_id": FATIMA.national_id})

    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) == 60
    assert FATIMA.head_name not in refused.text
    assert (other_user.status_code, later.status_code) == (200, 200)


def test_a_read_that_cannot_be_recorded_shows_nothing(
    registered: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def log_down(*_: object) -> None:
        raise BrokerUnavailable("kafka unreachable")

    monkeypatch.setattr(registered.app.state.services.audit, "personal_data_read", log_down)

    r = registered.get("agent", f"/v1/households/{FATIMA.household_id}")

    assert r.status_code == 503
    assert FATIMA.head_name not in r.text
