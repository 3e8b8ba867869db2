"""A household's card over HTTP: `POST /v1/households/{id}/card` issues it (or replaces a lost
one, which stops working), `GET` reads the current one back to print; baskets are then handed
on the card's code, online and offline. The app and households of `test_households_api`, its
clock pinned to 1 March 2026 unless a story moves it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from api import deps
from events import encode
from projections.tables import household_cards
from services.app import cards
from tests.support.api import ApiHarness
from tests.unit import test_households_api as households
from tests.unit.test_households_api import FATIMA, KHADIJA, MOHAMED, YOUSSEF, error_of, leaks

api, registered = households.api, households.registered  # the same app and households
CODE = re.compile(r"^AID1:(?P<household>[a-z0-9.-]+):(?P<number>[0-9]+):(?P<check>[2-9A-Z]{8})$")


def issue(api: ApiHarness, household_id: str, who: str = "agent", key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else None
    return api.post(who, f"/v1/households/{household_id}/card", {}, headers=headers)


def card_events(api: ApiHarness) -> list[Any]:
    return [e for e in api.published("households") if e.type == "HouseholdCardIssued"]


def at(api: ApiHarness, moment: datetime) -> None:
    """The API's clock from now on."""
    api.app.dependency_overrides[deps.now] = lambda: moment


def test_an_agent_issues_fatimas_first_card_and_reads_it_back_to_print(
    registered: ApiHarness,
) -> None:
    r = issue(registered, FATIMA.household_id)
    registered.project_published()
    read = registered.get("agent", f"/v1/households/{FATIMA.household_id}/card")

    assert r.status_code == 201, r.text
    card = r.json()
    assert card["position"] and card["card_number"] == 1
    found = CODE.match(card["code"])
    assert found and found["household"] == FATIMA.household_id and found["number"] == "1"
    assert found["check"] == card["check"]
    assert read.status_code == 200, read.text
    assert read.json() | {"position": None} == card | {"position": None}
    [event] = card_events(registered)
    assert event.data["card_number"] == 1 and event.data["check"] == card["check"]
    assert leaks(encode(event).decode()) == [] and leaks(read.text) == []


def test_a_lost_card_is_replaced_by_number_two_and_the_first_is_kept_as_replaced(
    registered: ApiHarness,
) -> None:
    at(registered, datetime(2026, 2, 20, 9, 0, tzinfo=UTC))
    first = issue(registered, FATIMA.household_id).json()
    registered.project_published()
    at(registered, datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    second = issue(registered, FATIMA.household_id)
    registered.project_published()

    assert second.status_code == 201, second.text
    assert second.json()["card_number"] == 2 and second.json()["check"] != first["check"]
    current = registered.get("coordinator", f"/v1/households/{FATIMA.household_id}/card").json()
    assert (current["card_number"], current["code"]) == (2, second.json()["code"])
    with registered.engine.connect() as conn:
        rows = conn.execute(
            select(household_cards.c.card_number, household_cards.c.replaced_at).order_by(
                household_cards.c.card_number
            )
        ).all()
    assert [tuple(r) for r in rows] == [(1, datetime(2026, 3, 1, 10, 0)), (2, None)]


def test_the_same_request_again_answers_the_same_card_and_records_nothing_new(
    registered: ApiHarness,
) -> None:
    first = issue(registered, MOHAMED.household_id, key="card-mohamed-1")
    retried = issue(registered, MOHAMED.household_id, key="card-mohamed-1")  # not projected yet
    registered.project_published()
    again = issue(registered, MOHAMED.household_id, key="card-mohamed-1")

    assert (first.status_code, retried.status_code, again.status_code) == (201, 200, 200)
    for answer in (retried, again):
        assert {k: answer.json()[k] for k in ("card_number", "check", "code", "issued_at")} == {
            k: first.json()[k] for k in ("card_number", "check", "code", "issued_at")
        }
    assert len(card_events(registered)) == 1


def test_a_household_without_a_card_or_unknown_is_a_404_saying_which(
    registered: ApiHarness,
) -> None:
    none_yet = registered.get("agent", f"/v1/households/{KHADIJA.household_id}/card")
    unknown = registered.get("agent", "/v1/households/hh-nowhere-999/card")

    assert "issue one" in error_of(none_yet, 404, "no_card")["message"]
    error_of(unknown, 404, "unknown_household")
    error_of(issue(registered, "hh-nowhere-999"), 404, "unknown_household")
    assert card_events(registered) == []


def test_an_erased_household_gets_no_card(registered: ApiHarness) -> None:
    erased = registered.client.delete(
        f"/v1/households/{KHADIJA.household_id}/personal-data", headers=registered.headers("admin")
    )
    assert erased.status_code == 200, erased.text
    registered.project_published()

    error_of(issue(registered, KHADIJA.household_id), 404, "unknown_household")
    assert card_events(registered) == []


def test_the_al_haouz_agent_cannot_reach_a_casablanca_household_card(
    registered: ApiHarness,
) -> None:
    issued = issue(registered, YOUSSEF.household_id, who="coordinator")
    assert issued.status_code == 201, issued.text
    registered.project_published()

    error_of(issue(registered, YOUSSEF.household_id), 404, "unknown_household")
    error_of(
        registered.get("agent", f"/v1/households/{YOUSSEF.household_id}/card"),
        404, "unknown_household",
    )  # fmt: skip


def test_roles_without_household_permissions_are_refused(registered: ApiHarness) -> None:
    for role in ("auditor", "donor", "operator"):
        assert issue(registered, FATIMA.household_id, who=role).status_code == 403
        path = f"/v1/households/{FATIMA.household_id}/card"
        assert registered.get(role, path).status_code == 403
    assert card_events(registered) == []


# ---- baskets handed on a card --------------------------------------------------------------

FEB_20, MAR_1 = datetime(2026, 2, 20, 9, 0, tzinfo=UTC), datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def carded(api: ApiHarness, household_id: str = FATIMA.household_id) -> tuple[str, str]:
    """Fatima's first card, issued on 20 February, and the one replacing it on 1 March: the
    codes of both."""
    at(api, FEB_20)
    first = issue(api, household_id).json()["code"]
    api.project_published()
    at(api, MAR_1)
    second = issue(api, household_id).json()["code"]
    api.project_published()
    return first, second


def on_card(distribution_id: str, code: str, **fields: Any) -> dict[str, Any]:
    """One Ramadan basket at the Amizmiz site, the household named by its card's code."""
    body = households.basket(distribution_id, "unused", **fields)
    return {k: v for k, v in body.items() if k != "household_id"} | {"card": code}


def test_an_agent_hands_a_basket_on_fatimas_current_card(registered: ApiHarness) -> None:
    _, current = carded(registered)

    r = registered.post("agent", "/v1/distributions", on_card("dist-card-001", current))
    registered.project_published()

    assert r.status_code == 201, r.text
    [aid] = [e for e in registered.published("distributions") if e.type == "AidDistributed"]
    assert aid.data["household_id"] == FATIMA.household_id
    assert households.eligibility(registered, FATIMA.household_id)["remaining"] == 0


def test_the_replaced_card_is_refused_online_naming_no_one(registered: ApiHarness) -> None:
    replaced, _ = carded(registered)

    r = registered.post("agent", "/v1/distributions", on_card("dist-card-002", replaced))

    body = error_of(r, 409, "card_replaced")
    assert body["message"] == "this card was replaced; use the household's current card"
    assert leaks(r.text) == [] and registered.published("distributions") == []


def test_a_card_that_matches_no_card_is_a_422_card_invalid(registered: ApiHarness) -> None:
    _, current = carded(registered)
    wrong_check = current[:-8] + ("XXXXXXXX" if not current.endswith("XXXXXXXX") else "YYYYYYYY")
    forged = current.replace(":2:", ":7:")
    elsewhere = current.replace(FATIMA.household_id, MOHAMED.household_id)

    for code in (wrong_check, forged, elsewhere, "AID1:hh-nowhere-999:1:K7M4Q9TX", "BE123456"):
        r = registered.post("agent", "/v1/distributions", on_card("dist-card-003", code))
        body = error_of(r, 422, "card_invalid")
        assert body["field"] == "card" and leaks(r.text) == []
    assert registered.published("distributions") == []


def test_a_record_names_its_household_exactly_one_way(registered: ApiHarness) -> None:
    _, current = carded(registered)
    both = on_card("dist-card-004", current) | {"household_id": FATIMA.household_id}
    neither = {k: v for k, v in both.items() if k not in ("household_id", "card")}

    by_cin = on_card("dist-card-004", current) | {"national_id": "BE123456"}
    # the field refused is one that was sent; the message names those in conflict
    for body, field, named in (
        (both, "card", ("household_id", "card")),
        (neither, "body", ("household_id", "national_id", "card")),
        (by_cin, "card", ("national_id", "card")),
    ):
        answer = error_of(registered.post("agent", "/v1/distributions", body), 422,
                          "invalid_request")  # fmt: skip
        assert answer["field"] == field
        assert all(f in answer["message"] for f in named)
        assert leaks(str(answer)) == []


def test_offline_a_card_counts_if_it_still_worked_when_the_basket_was_handed(
    registered: ApiHarness,
) -> None:
    """Fatima's first card was replaced on 1 March at 10:00: a basket handed with it on
    28 February syncs in; one handed with it at noon on 1 March does not; Mohamed's card
    with a wrong check does not either."""
    replaced, current = carded(registered)
    mohamed = issue(registered, MOHAMED.household_id).json()["code"]
    registered.project_published()
    batch = {"records": [
        on_card("off-card-1", replaced, occurred_at="2026-02-28T15:00:00+00:00"),
        on_card("off-card-2", replaced, occurred_at="2026-03-01T12:00:00+00:00"),
        on_card("off-card-3", current, occurred_at="2026-03-01T12:30:00+00:00"),
        on_card("off-card-4", mohamed[:-8] + "ZZZZZZZZ", occurred_at="2026-03-01T12:00:00+00:00"),
        on_card("off-card-5", "not a card", occurred_at="2026-03-01T12:00:00+00:00"),
    ]}  # fmt: skip
    at(registered, datetime(2026, 3, 1, 18, 0, tzinfo=UTC))  # synced that evening

    r = registered.post("agent", "/v1/distributions/batch", batch)

    assert r.status_code == 200, r.text
    results = {x["id"]: (x["status"], x["reason"]) for x in r.json()["results"]}
    assert results["off-card-1"] == ("accepted", None)
    assert results["off-card-2"][0] == "rejected"
    assert "replaced on 2026-03-01 10:00 UTC, before this basket" in results["off-card-2"][1]
    assert results["off-card-3"][0] == "duplicate"  # Fatima was served on the 28th already
    assert results["off-card-4"] == ("rejected", cards.NOT_A_CARD)
    assert "not a household card's code" in results["off-card-5"][1]
    assert leaks(r.text) == []


def test_the_card_of_an_erased_household_hands_nothing(registered: ApiHarness) -> None:
    _, current = carded(registered, MOHAMED.household_id)
    erased = registered.client.delete(
        f"/v1/households/{MOHAMED.household_id}/personal-data", headers=registered.headers("admin")
    )
    assert erased.status_code == 200, erased.text
    registered.project_published()

    r = registered.post("agent", "/v1/distributions", on_card("dist-card-005", current))

    error_of(r, 422, "card_invalid")
    assert registered.published("distributions") == []
