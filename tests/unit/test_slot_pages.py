"""The appointments pages: a coordinator sets the Al Haouz site's plan from its page and
reads it hour by hour; the site's agent reads the slot under way (expected, served, not yet
come) and has no form; the household's card and its ticket show its slot.

The same app and households as `test_site_lists_api`: Fatima and Mohamed expected at Al
Haouz. The pages read the real clock, so the plan is set for today, the whole day long."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from projections.slot_queries import SITE_TIME
from tests.support.api import SITE, ApiHarness
from tests.unit import test_site_lists_api as site_lists
from tests.unit.test_households_api import FATIMA, MOHAMED, RAMADAN, leaks
from tests.unit.test_site_list_pages import page
from tests.unit.test_web_ui import csrf_of

api, assigned = site_lists.api, site_lists.assigned
SLOTS = f"/sites/{RAMADAN}/{SITE}/slots"


def set_from_the_page(api: ApiHarness, **fields: str) -> tuple[int, str]:
    _, form = page(api, "coordinator", SLOTS)
    today = datetime.now(UTC).astimezone(SITE_TIME).date()
    posted = {"csrf": csrf_of(form), "first_day": str(today), "day_count": "1",
              "opens_at": "0", "closes_at": "24", "per_hour": "1"} | fields  # fmt: skip
    answer = api.client.post(SLOTS, data=posted, follow_redirects=False)
    api.project_published()
    return answer.status_code, answer.headers.get("location", answer.text)


def test_a_coordinator_sets_the_plan_and_reads_it_hour_by_hour(assigned: ApiHarness) -> None:
    before, empty = page(assigned, "coordinator", SLOTS)
    status, target = set_from_the_page(assigned)
    after, shown = page(assigned, "coordinator", SLOTS + "?done=slot_plan")

    assert before == 200 and 'id="no-plan"' in empty and 'id="slot-plan-form"' in empty
    assert (status, target) == (303, SLOTS + "?done=slot_plan")
    assert after == 200
    assert shown.count("data-slot=") == 24
    assert 'class="notice ok"' in shown
    assert leaks(shown) == []


def test_a_plan_that_closes_before_it_opens_is_shown_next_to_its_field(
    assigned: ApiHarness,
) -> None:
    status, html = set_from_the_page(assigned, opens_at="14", closes_at="9")

    assert status == 422
    assert 'aria-invalid="true"' in html


def test_a_plan_whose_days_run_past_the_calendar_is_shown_next_to_its_field(
    assigned: ApiHarness,
) -> None:
    status, html = set_from_the_page(assigned, first_day="9999-12-31", day_count="2")

    assert status == 422
    assert 'aria-invalid="true"' in html


def test_the_agent_reads_the_slot_under_way_and_sets_nothing(assigned: ApiHarness) -> None:
    set_from_the_page(assigned)  # Mohamed (elderly) from midnight, Fatima from one
    hour = datetime.now(UTC).astimezone(SITE_TIME).hour
    expected = 1 if hour in (0, 1) else 0

    status, html = page(assigned, "agent", SLOTS)
    _, listed = page(assigned, "agent", f"/sites/{RAMADAN}/{SITE}")

    assert status == 200
    assert 'id="slot-now"' in html and f'<dd class="expected">{expected}</dd>' in html
    assert f'<dd class="not-yet-come">{expected}</dd>' in html
    assert 'id="slot-plan-form"' not in html
    assert 'id="slot-now"' in listed and f"{SLOTS}" in listed


def test_the_card_and_the_ticket_show_the_households_slot(assigned: ApiHarness) -> None:
    set_from_the_page(assigned)
    issued = assigned.post("agent", f"/v1/households/{FATIMA.household_id}/card", {})
    assert issued.status_code == 201, issued.text
    assigned.project_published()

    _, card = page(assigned, "agent", f"/ui/households/{FATIMA.household_id}/card")
    status, ticket = page(assigned, "agent", f"/ui/households/{FATIMA.household_id}/ticket")

    assert 'class="card-slot"' in card and "1:00–2:00" in card
    assert status == 200 and "1:00–2:00" in ticket and FATIMA.household_id in ticket
    assert MOHAMED.household_id not in ticket
    assert FATIMA.head_name not in ticket and leaks(ticket) == []


def change(api: ApiHarness, what: str, **fields: str) -> tuple[int, str]:
    _, form = page(api, "coordinator", SLOTS)
    answer = api.client.post(f"{SLOTS}/{what}", data={"csrf": csrf_of(form)} | fields,
                             follow_redirects=False)  # fmt: skip
    api.project_published()
    return answer.status_code, answer.headers.get("location", answer.text)


def slot_of(api: ApiHarness, household_id: str) -> list[tuple[str, str, int]]:
    held = api.get("coordinator", f"/v1/households/{household_id}/slots").json()["items"]
    return [(h["site_id"], h["day"], h["hour"]) for h in held]


def test_a_coordinator_moves_a_slot_closes_a_day_and_adds_one_from_the_page(
    assigned: ApiHarness,
) -> None:
    set_from_the_page(assigned)  # one an hour: Mohamed at 0:00, Fatima at 1:00
    today = datetime.now(UTC).astimezone(SITE_TIME).date()
    tomorrow = today + timedelta(days=1)
    fatima = FATIMA.household_id

    moved = change(assigned, "move", household_id=fatima, day=str(today), hour="5")
    full_status, full = change(assigned, "move", household_id=fatima, day=str(today), hour="0")
    no_room_status, no_room = change(assigned, "close", day=str(today), reason="crue")
    added = change(assigned, "add", day=str(tomorrow))
    closed = change(assigned, "close", day=str(today), reason="crue")

    assert moved == (303, f"{SLOTS}?done=slot_move")
    assert full_status == 409 and "Ce créneau est complet" in full
    assert no_room_status == 409 and "ajoutez d'abord un jour" in html.unescape(no_room)
    assert added == (303, f"{SLOTS}?done=slot_day_added")
    assert closed == (303, f"{SLOTS}?done=slot_day_closed")
    # the closed day's households took tomorrow's first hours, Mohamed (elderly) first
    assert slot_of(assigned, MOHAMED.household_id) == [(SITE, str(tomorrow), 0)]
    assert slot_of(assigned, fatima) == [(SITE, str(tomorrow), 1)]
    assert leaks(full) == [] and leaks(no_room) == []


def test_the_agent_has_no_form_to_change_the_plan(assigned: ApiHarness) -> None:
    set_from_the_page(assigned)

    _, shown = page(assigned, "agent", SLOTS)
    _, form = page(assigned, "agent", SLOTS)
    tried = assigned.client.post(f"{SLOTS}/add", data={"csrf": csrf_of(form), "day": "2026-03-09"},
                                 follow_redirects=False)  # fmt: skip

    assert 'id="slot-changes"' not in shown
    assert tried.status_code == 403
