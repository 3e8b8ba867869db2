"""Appointments over HTTP, as stories: the coordinator sets the Al Haouz site's slot plan in
the Ramadan 2026 campaign, the households it expects get slots (and messages), later ones
the next free slot; a basket handed outside its slot still counts, out of slot; slots move,
a day closes, a day is added.

The same app, clock and people as `test_site_lists_api`: Fatima and Mohamed expected at Al
Haouz, Khadija at Chichaoua. The site serves one household an hour from 9:00 to 12:00;
Mohamed's household has an elderly member, so it comes in the first hour.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from events.households import HouseholdRegistered
from projections.slot_queries import local_slot
from projections.tables import slot_messages
from services.app import slots
from services.app.permissions import User
from tests.support.api import SITE, ApiHarness
from tests.unit import test_households_api as households
from tests.unit.test_households_api import (
    FATIMA,
    MOHAMED,
    MORNING,
    RAMADAN,
    Person,
    basket,
    error_of,
)
from tests.unit.test_site_lists_api import assigned

api = households.api
__all__ = ["api", "assigned"]  # the fixtures these stories start from
PLAN = f"/v1/campaigns/{RAMADAN}/sites/{SITE}/slot-plan"
# the site's day and hour when the clock reads 1 March 2026, 10:00 UTC
TODAY, NOW_HOUR = local_slot(MORNING.replace(tzinfo=None))
TOMORROW = TODAY.replace(day=TODAY.day + 1)
SAMIRA = Person("hh-amizmiz-005", "Samira Ouhaddou", "MA07", "MA0701", national_id="JT554433")


def set_plan(api: ApiHarness, who: str = "coordinator", **changes: Any) -> Any:
    body = {"days": [str(TODAY), str(TOMORROW)], "opens_at": 9, "closes_at": 12,
            "per_hour": 1} | changes  # fmt: skip
    response = api.client.put(PLAN, json=body, headers=api.headers(who))
    api.project_published()
    return response


def plan(api: ApiHarness, who: str = "coordinator") -> dict[str, Any]:
    r = api.get(who, PLAN)
    assert r.status_code == 200, r.text
    return dict(r.json())


def held(api: ApiHarness, household_id: str) -> list[tuple[str, int]]:
    r = api.get("agent", f"/v1/households/{household_id}/slots")
    assert r.status_code == 200, r.text
    return [(s["day"], s["hour"]) for s in r.json()["items"]]


def move(api: ApiHarness, household_id: str, day: str, hour: int) -> Any:
    body = {"household_id": household_id, "day": day, "hour": hour}
    return api.post("coordinator", f"{PLAN}/moves", body)


@pytest.fixture
def planned(assigned: ApiHarness) -> ApiHarness:
    r = set_plan(assigned)
    assert r.status_code == 201, r.text
    return assigned


def test_a_plan_gives_every_household_the_site_expects_a_slot_in_order(planned: ApiHarness) -> None:
    assert held(planned, MOHAMED.household_id) == [(str(TODAY), 9)]  # the elderly first
    assert held(planned, FATIMA.household_id) == [(str(TODAY), 10)]
    figures = plan(planned)
    assert (figures["expected"], figures["served"], figures["per_hour"]) == (2, 0, 1)
    assert [(s["day"], s["hour"], s["expected"]) for s in figures["slots"]][:3] == [
        (str(TODAY), 9, 1), (str(TODAY), 10, 1), (str(TODAY), 11, 0),
    ]  # fmt: skip


def test_the_same_plan_again_changes_nothing(planned: ApiHarness) -> None:
    again = set_plan(planned)

    assert again.status_code == 200, again.text
    assert held(planned, FATIMA.household_id) == [(str(TODAY), 10)]


def test_a_plan_set_back_to_an_earlier_one_is_that_plan_again(planned: ApiHarness) -> None:
    assert set_plan(planned, per_hour=3).status_code == 201
    back = set_plan(planned, per_hour=1)

    assert back.status_code == 201, back.text
    assert plan(planned)["per_hour"] == 1


def test_a_household_registered_after_the_plan_gets_the_next_free_slot(
    planned: ApiHarness,
) -> None:
    r = planned.post("agent", "/v1/households", SAMIRA.body(site_id=SITE))
    assert r.status_code == 201, r.text
    planned.project_published()

    assert held(planned, SAMIRA.household_id) == [(str(TODAY), 11)]


def test_each_assignment_is_announced_in_french_and_arabic_naming_nobody(
    planned: ApiHarness,
) -> None:
    with planned.engine.connect() as conn:
        rows = conn.execute(
            select(slot_messages.c.language, slot_messages.c.text)
            .where(slot_messages.c.household_id == FATIMA.household_id)
        ).all()  # fmt: skip

    assert sorted(language for language, _ in rows) == ["ar", "fr"]
    assert all(FATIMA.head_name not in text for _, text in rows)


def test_a_basket_handed_outside_its_slot_is_served_once_and_counted_out_of_slot(
    planned: ApiHarness,
) -> None:
    handed = planned.post("agent", "/v1/distributions", basket("d-1", MOHAMED.household_id))
    assert handed.status_code == 201, handed.text
    planned.project_published()

    figures = plan(planned)
    now = next(s for s in figures["slots"] if (s["day"], s["hour"]) == (str(TODAY), NOW_HOUR))
    assert NOW_HOUR != 9  # Mohamed's slot
    assert (now["served"], now["out_of_slot"], now["served_in_hour"]) == (0, 1, 1)
    assert (figures["served"], figures["out_of_slot"], figures["over_capacity"]) == (0, 1, False)


def test_a_slot_moves_a_day_closes_and_a_day_is_added(planned: ApiHarness) -> None:
    moved = move(planned, MOHAMED.household_id, str(TOMORROW), 9)
    assert moved.status_code == 201, moved.text
    closed = planned.post("coordinator", f"{PLAN}/closed-days",
                          {"day": str(TODAY), "reason": "crue de l'oued"})  # fmt: skip
    assert closed.status_code == 201, closed.text
    planned.project_published()

    assert held(planned, MOHAMED.household_id) == [(str(TOMORROW), 9)]
    assert held(planned, FATIMA.household_id) == [(str(TOMORROW), 10)]
    figures = plan(planned)
    assert (figures["days"], figures["closed_days"]) == ([str(TOMORROW)], [str(TODAY)])

    no_room = planned.post("coordinator", f"{PLAN}/closed-days",
                           {"day": str(TOMORROW), "reason": "vent"})  # fmt: skip
    error_of(no_room, 409, "no_room")
    added = planned.post("coordinator", f"{PLAN}/days", {"day": "2026-03-05"})
    assert added.status_code == 201, added.text


def test_a_move_to_a_full_slot_is_refused(planned: ApiHarness) -> None:
    r = move(planned, FATIMA.household_id, str(TODAY), 9)  # Mohamed's

    error_of(r, 409, "slot_full")


def test_only_a_coordinator_sets_a_plan_and_the_agent_reads_their_sites(
    planned: ApiHarness,
) -> None:
    error_of(set_plan(planned, who="agent"), 403, "forbidden")
    assert plan(planned, who="agent")["site_id"] == SITE


def test_a_plan_that_closes_before_it_opens_or_of_an_unknown_campaign_is_refused(
    assigned: ApiHarness,
) -> None:
    error_of(set_plan(assigned, opens_at=12, closes_at=9), 422, "invalid_request")
    unknown = assigned.client.put(
        f"/v1/campaigns/hiver-2026/sites/{SITE}/slot-plan",
        json={"days": [str(TODAY)], "opens_at": 9, "closes_at": 12, "per_hour": 1},
        headers=assigned.headers("coordinator"),
    )
    error_of(unknown, 404, "unknown_campaign")
    error_of(assigned.get("coordinator", PLAN), 404, "no_slot_plan")


def seeded_household(api: ApiHarness, n: int) -> str:
    """A household of the site that reached the registry without its writer hearing of it
    (as one registered before appointments existed)."""
    household_id = f"hh-amizmiz-1{n:02d}"
    api.apply(HouseholdRegistered(
        household_id=household_id, identity=f"pseudonym-{n:06d}", size=3, region_code="MA07",
        sealed_personal_data="sealed:v1:…", site_id=SITE,
    ))  # fmt: skip
    return household_id


def test_households_the_sites_writer_never_heard_of_get_slots_when_the_plan_is_set(
    assigned: ApiHarness,
) -> None:
    older = seeded_household(assigned, 1)

    assert set_plan(assigned).status_code == 201

    assert held(assigned, older) == [(str(TODAY), 11)]  # after Fatima's and Mohamed's


def test_assigning_again_offers_every_expected_household_and_adds_only_the_missing(
    planned: ApiHarness,
) -> None:
    later = seeded_household(planned, 2)
    admin = User(username="aid-slots-assign", role="admin")
    services = planned.app.state.services

    first = asyncio.run(slots.offer_expected(services, admin, MORNING, SITE))
    again = asyncio.run(slots.offer_expected(services, admin, MORNING, SITE))
    planned.project_published()

    assert (first, again) == (1, 0)
    assert held(planned, later) == [(str(TODAY), 11)]
    assert held(planned, FATIMA.household_id) == [(str(TODAY), 10)]
