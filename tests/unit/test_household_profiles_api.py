"""A household's profile over HTTP: registered with its members, assessed again with
`PUT /v1/households/{id}/profile`, and what follows (eligibility, coverage), as stories.

The same app and households as `test_households_api` (real deciders, in-memory publisher,
SQLite read model), its clock pinned to 1 March 2026 in the middle of the Ramadan campaign
for Marrakech-Safi (MA07). Identities, names and phones are made up.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from events import encode
from tests.support.api import ApiHarness
from tests.unit import test_households_api as households
from tests.unit.test_households_api import FATIMA, YOUSSEF, basket, coverage, error_of, leaks

api, registered = households.api, households.registered  # the same app and households

# Fatima's household as the social worker found it: herself, her husband (disabled since
# the earthquake), a son of 12 and a granddaughter of 2
MEMBERS = [
    {"sex": "f", "year_of_birth": 1979, "relation": "head"},
    {"sex": "m", "year_of_birth": 1963, "relation": "spouse", "disability": "severe"},
    {"sex": "m", "year_of_birth": 2014, "relation": "child"},
    {"sex": "f", "year_of_birth": 2024, "relation": "other"},
]
COUNTED = {
    "counted_on": "2026-03-01", "females_0_4": 1, "females_5_17": 0, "females_18_59": 1,
    "females_60_plus": 0, "males_0_4": 0, "males_5_17": 1, "males_18_59": 0,
    "males_60_plus": 1, "disabled_members": 1, "severely_disabled_members": 1,
}  # fmt: skip


def profile(**changes: Any) -> dict[str, Any]:
    """Fatima's profile assessed again: by default, her four members in Al Haouz."""
    return {"region_code": "MA07", "province_code": "MA0701",
            "groups": ["children", "disability"], "members": MEMBERS} | changes  # fmt: skip


def put(api: ApiHarness, household_id: str, body: dict[str, Any], who: str = "agent") -> Any:
    return api.client.put(
        f"/v1/households/{household_id}/profile", json=body, headers=api.headers(who)
    )


def updates(api: ApiHarness) -> list[Any]:
    return [e for e in api.published("households") if e.type == "HouseholdProfileUpdated"]


def test_an_agent_assesses_a_household_again_and_reads_its_members_back(
    registered: ApiHarness,
) -> None:
    r = put(registered, FATIMA.household_id, profile(housing_notes="one room, roof cracked"))
    registered.project_published()
    read = registered.get("agent", f"/v1/households/{FATIMA.household_id}")

    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["size"], answer["groups"], answer["members"]) == (
        4, ["children", "disability"], COUNTED,
    )  # fmt: skip
    assert answer["personal"]["phone"] == FATIMA.phone  # not given again: it stands
    assert answer["personal"]["housing_notes"] == "one room, roof cracked"
    assert [m["year_of_birth"] for m in answer["personal"]["members"]] == [1979, 1963, 2014, 2024]
    assert read.status_code == 200
    assert {k: v for k, v in read.json().items() if k != "position"} == {
        k: v for k, v in answer.items() if k != "position"
    }
    [event] = updates(registered)
    assert event.data["members"] == COUNTED
    published = encode(event).decode()
    assert leaks(published) == [] and "roof" not in published and "1979" not in published


def test_a_coordinator_sees_the_member_counts_but_an_auditor_never_reaches_the_household(
    registered: ApiHarness,
) -> None:
    assert put(registered, FATIMA.household_id, profile()).status_code == 200
    registered.project_published()

    seen = registered.get("coordinator", f"/v1/households/{FATIMA.household_id}").json()
    assert seen["members"] == COUNTED
    assert put(registered, FATIMA.household_id, profile(), who="auditor").status_code == 403
    assert put(registered, FATIMA.household_id, profile(), who="donor").status_code == 403


def test_the_same_profile_sent_again_records_nothing(registered: ApiHarness) -> None:
    first = put(registered, FATIMA.household_id, profile())
    registered.project_published()
    again = put(registered, FATIMA.household_id, profile())
    retried = put(registered, FATIMA.household_id, profile())  # before the read model caught up

    assert (first.status_code, again.status_code, retried.status_code) == (200, 200, 200)
    assert len(updates(registered)) == 1
    assert again.json()["members"] == first.json()["members"]


def test_registering_with_members_counts_the_size_from_them(api: ApiHarness) -> None:
    body = FATIMA.body(members=MEMBERS)
    del body["size"]

    r = api.post("agent", "/v1/households", body)

    assert r.status_code == 201, r.text
    assert (r.json()["size"], r.json()["members"]) == (4, COUNTED)
    [event] = api.published("households")
    assert event.data["members"] == COUNTED and event.data["size"] == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (profile(size=5), "size"),
        ({"region_code": "MA07"}, "size"),
        (profile(members=[{"sex": "x", "year_of_birth": 1979, "relation": "head"}]), "sex"),
        (profile(members=[{"sex": "f", "year_of_birth": 1979, "relation": "aunt"}]), "relation"),
        (profile(members=[{"sex": "f", "year_of_birth": 2027, "relation": "child"}]),
         "year_of_birth"),
    ],
)  # fmt: skip
def test_a_profile_that_does_not_add_up_is_a_422_naming_the_field(
    registered: ApiHarness, body: dict[str, Any], field: str
) -> None:
    r = put(registered, FATIMA.household_id, body)

    assert r.status_code == 422, r.text
    assert field in r.text
    assert updates(registered) == []


@pytest.mark.parametrize(
    ("area", "field", "reason"),
    [
        ({"region_code": "MA99", "province_code": None}, "region_code", "unknown_region"),
        ({"province_code": "MA0799"}, "province_code", "unknown_province"),
    ],
)
def test_a_household_moved_to_an_area_no_location_carries_is_a_422_naming_the_field(
    registered: ApiHarness, area: dict[str, Any], field: str, reason: str
) -> None:
    """As the import refuses such a line."""
    body = {k: v for k, v in profile(**area).items() if v is not None}
    r = put(registered, FATIMA.household_id, body, who="coordinator")

    assert (error_of(r, 422, "invalid_request")["field"], r.json()["reason"]) == (field, reason)
    assert updates(registered) == []


def test_updating_a_household_never_registered_or_erased_is_a_404(
    registered: ApiHarness,
) -> None:
    erased = registered.client.delete(
        f"/v1/households/{FATIMA.household_id}/personal-data", headers=registered.headers("admin")
    )
    registered.project_published()

    assert erased.status_code == 200, erased.text
    error_of(put(registered, "hh-nowhere-999", profile()), 404, "unknown_household")
    error_of(put(registered, FATIMA.household_id, profile()), 404, "unknown_household")
    assert updates(registered) == []


def test_a_household_moved_out_of_the_campaign_region_is_refused_and_one_moved_in_served(
    registered: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    before = coverage(registered)["eligible_households"]
    # the Al Haouz agent may not send a household beyond the regions their sites serve
    casablanca = profile(region_code="MA06", province_code="MA0601")
    kept = put(registered, FATIMA.household_id, casablanca)
    moved_out = put(registered, FATIMA.household_id, casablanca, who="coordinator")
    # Youssef lives beyond the Al Haouz agent's reach (404 to them): a coordinator moves him
    beyond = put(registered, YOUSSEF.household_id, {"size": 3, "region_code": "MA07"})
    moved_in = put(registered, YOUSSEF.household_id,
                   {"size": 3, "region_code": "MA07", "province_code": "MA0701"},
                   who="coordinator")  # fmt: skip
    registered.project_published()

    refused = registered.post("agent", "/v1/distributions",
                              basket("dist-fatima-001", FATIMA.household_id))  # fmt: skip
    served = registered.post("agent", "/v1/distributions",
                             basket("dist-youssef-001", YOUSSEF.household_id))  # fmt: skip
    registered.project_published()

    assert kept.status_code == 403 and kept.json()["error"] == "forbidden", kept.text
    assert (moved_out.status_code, beyond.status_code, moved_in.status_code) == (200, 404, 200)
    body = error_of(refused, 409, "not_eligible")
    assert body["message"] == "the campaign covers regions MA07, not MA06"
    assert served.status_code == 201, served.text
    after = coverage(registered)
    assert after["eligible_households"] == before  # one left, one came
    assert after["reached_households"] == 1
    assert leaks(caplog.text) == []
