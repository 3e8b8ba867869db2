"""Ramadan 2026 gives one basket per household, and two to households of six members or more.

The entitlement is one pure function of the campaign and the household's size; the
distribution decider, eligibility, the offline list, the agent page and the coordinator's
campaign form all follow it. A campaign opened without the rule means what it always meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from api import deps
from events.households import (
    AidDistributed,
    CampaignOpened,
    DuplicateDistributionFlagged,
    LargerHouseholds,
)
from services.domain.decisions import Refused
from services.domain.distributions.decider import RecordDistribution
from services.domain.distributions.eligibility import (
    CampaignTerms,
    Profile,
    entitlement,
    entitlement_left,
)
from tests.support.api import SITE, USERNAMES, ApiHarness
from tests.unit.test_distribution_decider import FIRST_MORNING, handed, ramadan, record, served
from tests.unit.test_households_api import (
    BASKETS,
    MORNING,
    RAMADAN,
    Person,
    basket,
    error_of,
    leaks,
)
from tests.unit.test_offline_lists_api import signed_in_agent
from tests.unit.test_web_ui import PASSWORD, csrf_of, sign_in

TWO_FROM_SIX = LargerHouseholds(min_size=6, quantity=2)


def with_larger(base: int = 1, larger: LargerHouseholds | None = TWO_FROM_SIX) -> CampaignOpened:
    return ramadan(entitlement=base, larger_households=larger)


# ---- the rule, pure ------------------------------------------------------------------------


def test_households_of_six_or_more_are_due_two_baskets_the_others_one() -> None:
    campaign = CampaignTerms.model_validate(with_larger())

    due = {size: entitlement(campaign, size) for size in (1, 3, 5, 6, 7, 12)}

    assert due == {1: 1, 3: 1, 5: 1, 6: 2, 7: 2, 12: 2}
    assert entitlement(campaign, None) == 1  # a size not known: the quantity per household


def test_a_campaign_without_the_rule_gives_every_household_the_same() -> None:
    campaign = CampaignTerms.model_validate(with_larger(base=3, larger=None))

    assert {entitlement(campaign, size) for size in (1, 6, 40, None)} == {3}


def test_what_remains_counts_from_the_household_own_entitlement() -> None:
    campaign = CampaignTerms.model_validate(with_larger())
    large, small = Profile("MA07", None, ("children",), None, 7), Profile("MA07", None, (), None, 3)

    assert entitlement_left(large, campaign, 1) == (True, "eligible", 1)
    assert entitlement_left(large, campaign, 2)[::2] == (False, 0)
    assert entitlement_left(small, campaign, 1)[::2] == (False, 0)


@pytest.mark.parametrize(
    "rule",
    [
        {"min_size": 6, "quantity": 1},
        {"min_size": 6, "quantity": 0},
        {"min_size": 1, "quantity": 2},
    ],
)
def test_a_rule_that_gives_larger_households_no_more_is_no_campaign(rule: dict) -> None:
    with pytest.raises(ValidationError, match="larger_households"):
        ramadan(entitlement=1, larger_households=rule)


def test_the_household_size_is_part_of_a_record_only_when_the_campaign_looks_at_it() -> None:
    plain = handed("dist-001", ramadan()).model_copy(update={"household_size": 7})
    larger = handed("dist-001", with_larger(), household_size=7)

    assert "household_size" not in plain.model_dump(mode="json")
    assert "larger_households" not in plain.model_dump(mode="json")["campaign"]
    assert larger.model_dump(mode="json")["household_size"] == 7
    assert RecordDistribution.model_validate(larger.model_dump(mode="json")) == larger


# ---- the distribution decider --------------------------------------------------------------


def test_a_household_of_seven_receives_two_baskets_at_once() -> None:
    [event] = record([], handed("dist-001", with_larger(), quantity=2, household_size=7))

    assert isinstance(event, AidDistributed)
    assert event.quantity == 2


def test_a_household_of_three_asking_two_baskets_is_refused_at_its_one() -> None:
    with pytest.raises(Refused) as refused:
        record([], handed("dist-001", with_larger(), quantity=2, household_size=3))

    assert refused.value.code == "already_received"
    assert refused.value.details["entitlement"] == 1
    assert "already received 0 of 1" in refused.value.message


def test_a_third_basket_to_the_household_of_seven_is_refused_like_a_second_one_to_others() -> None:
    campaign = with_larger()
    past = served(
        handed("dist-001", campaign, household_size=7),
        handed("dist-002", campaign, household_size=7, at=FIRST_MORNING + timedelta(days=3)),
    )

    with pytest.raises(Refused) as refused:
        record(past, handed("dist-003", campaign, household_size=7))

    assert [type(e) for e in past] == [AidDistributed, AidDistributed]
    assert refused.value.code == "already_received"
    assert "already received 2 of 2" in refused.value.message
    assert refused.value.details | {"received_at": None} == {
        "already_received": 2, "entitlement": 2, "first_distribution_id": "dist-001",
        "site_id": "site-al-haouz", "received_at": None,
    }  # fmt: skip


def test_a_third_basket_synced_late_is_flagged_beyond_the_entitlement_of_two() -> None:
    campaign = with_larger()
    past = served(handed("dist-001", campaign, quantity=2, household_size=7))

    [event] = record(past, handed("offline-003", campaign, household_size=7, offline=True))

    assert isinstance(event, DuplicateDistributionFlagged)
    assert (event.already_received, event.first_distribution_id) == (2, "dist-001")


def test_a_household_grown_to_six_is_due_its_second_basket() -> None:
    campaign = with_larger()
    past = served(handed("dist-001", campaign, household_size=5))

    [event] = record(past, handed("dist-002", campaign, household_size=6))

    assert isinstance(event, AidDistributed)


# ---- over HTTP -----------------------------------------------------------------------------

SMALL = Person("hh-amizmiz-101", "Hassan Ait Brahim", "MA07", "MA0701", national_id="BE200301")
LARGE = Person("hh-amizmiz-102", "Itto Ouchen", "MA07", "MA0701", national_id="BE200302")
RAMADAN_BODY = {
    "id": RAMADAN, "name": "Ramadan 2026", "item_id": BASKETS, "quantity_per_household": 1,
    "larger_households": {"min_size": 6, "quantity": 2},
    "starts_on": "2026-02-18", "ends_on": "2026-03-31", "region_codes": ["MA07"],
}  # fmt: skip


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    """Ramadan 2026 with its rule for larger households, and two households expected at
    Amizmiz: Hassan's of 3 members, Itto's of 7."""
    with ApiHarness(tmp_path) as harness:
        harness.app.dependency_overrides[deps.now] = lambda: MORNING
        opened = harness.post("coordinator", "/v1/campaigns", RAMADAN_BODY)
        assert opened.status_code == 201, opened.text
        assert opened.json()["larger_households"] == {"min_size": 6, "quantity": 2}
        for person, size in ((SMALL, 3), (LARGE, 7)):
            r = harness.post("agent", "/v1/households", person.body(size=size, site_id=SITE))
            assert r.status_code == 201, r.text
        harness.project_published()
        yield harness


def due(api: ApiHarness, person: Person) -> tuple[int, int, bool]:
    r = api.get("agent", f"/v1/households/{person.household_id}/eligibility",
                {"campaign_id": RAMADAN})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    return body["entitlement"], body["remaining"], body["eligible"]


def test_the_campaign_reads_back_with_its_rule(api: ApiHarness) -> None:
    one = api.get("auditor", f"/v1/campaigns/{RAMADAN}")
    [listed] = api.get("coordinator", "/v1/campaigns").json()["items"]

    assert one.status_code == 200, one.text
    assert one.json()["larger_households"] == {"min_size": 6, "quantity": 2}
    assert one.json()["quantity_per_household"] == 1
    assert listed["larger_households"] == {"min_size": 6, "quantity": 2}
    assert api.get("auditor", "/v1/campaigns/no-such-campaign").status_code == 404


def test_the_household_of_seven_takes_two_baskets_and_the_household_of_three_one(
    api: ApiHarness,
) -> None:
    before = (due(api, SMALL), due(api, LARGE))
    two_for_three = api.post("agent", "/v1/distributions",
                             basket("dist-101", SMALL.household_id, quantity=2))  # fmt: skip
    one_for_three = api.post("agent", "/v1/distributions", basket("dist-102", SMALL.household_id))
    two_for_seven = api.post("agent", "/v1/distributions",
                             basket("dist-103", LARGE.household_id, quantity=2))  # fmt: skip
    api.project_published()
    third = api.post("agent", "/v1/distributions", basket("dist-104", LARGE.household_id))

    assert before == ((1, 1, True), (2, 2, True))
    assert error_of(two_for_three, 409, "already_received")["entitlement"] == 1
    assert (one_for_three.status_code, two_for_seven.status_code) == (201, 201)
    assert (due(api, SMALL), due(api, LARGE)) == ((1, 0, False), (2, 0, False))
    refused = error_of(third, 409, "already_received")
    assert refused["entitlement"] == 2 and "2 of 2" in refused["message"]


def test_the_offline_list_and_the_agent_page_count_what_each_household_is_still_due(
    api: ApiHarness,
) -> None:
    r = api.post("agent", "/v1/distributions", basket("dist-201", LARGE.household_id))
    assert r.status_code == 201, r.text
    api.project_published()

    offline = api.get("agent", f"/v1/campaigns/{RAMADAN}/sites/{SITE}/offline").json()
    csrf = signed_in_agent(api, "agent-amizmiz-web", SITE)
    page = api.client.post("/agent/card", json={"card": LARGE.household_id, "campaign_id": RAMADAN},
                           headers={"X-CSRF-Token": csrf})  # fmt: skip

    remaining = {h["household_id"]: h["remaining"] for h in offline["items"]}
    assert remaining == {SMALL.household_id: 1, LARGE.household_id: 1}
    assert page.status_code == 200, page.text
    assert (page.json()["eligible"], page.json()["remaining"]) == (True, 1)
    assert leaks(page.text) == []


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"min_size": 6, "quantity": 1}, "larger_households"),
        ({"min_size": 1, "quantity": 2}, "larger_households.min_size"),
        ({"min_size": 6}, "larger_households.quantity"),
        ({"min_size": 6, "quantity": 2, "more": 3}, "larger_households.more"),
    ],
)
def test_a_rule_that_is_no_rule_is_a_422_naming_its_field(
    tmp_path: Path, rule: dict[str, Any], field: str
) -> None:
    with ApiHarness(tmp_path) as api:
        r = api.post("coordinator", "/v1/campaigns", RAMADAN_BODY | {"larger_households": rule})

    assert error_of(r, 422, "invalid_request")["field"] == field
    assert [e for e in api.published("reference") if e.type == "CampaignOpened"] == []


# ---- the coordinator's campaign form -------------------------------------------------------


@pytest.fixture
def coordinator(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        harness.create_user(USERNAMES["coordinator"], "coordinator", password=PASSWORD)
        sign_in(harness, "coordinator")
        yield harness


def open_on_the_form(api: ApiHarness, **fields: str) -> Any:
    form = api.client.get("/coordinator/new/campaign")
    assert 'id="larger_min_size"' in form.text and 'id="larger_quantity"' in form.text
    body = {"csrf": csrf_of(form.text), "id": RAMADAN, "name": "Ramadan 2026", "item_id": BASKETS,
            "quantity_per_household": "1", "starts_on": "2026-02-18",
            "ends_on": "2026-03-31"} | fields  # fmt: skip
    return api.client.post("/coordinator/new/campaign", data=body, follow_redirects=False)


def test_the_form_opens_a_campaign_giving_two_baskets_from_six_members(
    coordinator: ApiHarness,
) -> None:
    answer = open_on_the_form(coordinator, larger_min_size="6", larger_quantity="2")

    assert answer.status_code == 303, answer.text
    [event] = [e for e in coordinator.published("reference") if e.type == "CampaignOpened"]
    assert event.data["larger_households"] == {"min_size": 6, "quantity": 2}
    page = coordinator.client.get(f"/coordinator/coverage?campaign_id={RAMADAN}").text
    assert "Dotation : 1 par ménage." in page and "au moins 6 membres : 2." in page


def test_the_form_left_without_the_rule_opens_a_campaign_of_one_quantity(
    coordinator: ApiHarness,
) -> None:
    answer = open_on_the_form(coordinator, larger_min_size="", larger_quantity="")

    assert answer.status_code == 303, answer.text
    [event] = [e for e in coordinator.published("reference") if e.type == "CampaignOpened"]
    assert event.data.get("larger_households") is None
    page = coordinator.client.get(f"/coordinator/coverage?campaign_id={RAMADAN}").text
    assert "Dotation : 1 par ménage." in page and "membres" not in page


def test_a_larger_quantity_no_larger_is_shown_next_to_its_input(coordinator: ApiHarness) -> None:
    same = open_on_the_form(coordinator, larger_min_size="6", larger_quantity="1")
    no_size = open_on_the_form(coordinator, larger_quantity="2")

    assert same.status_code == 422
    assert re.search(r'id="err-larger_quantity">[^<]*supérieure à la dotation', same.text)
    assert no_size.status_code == 422
    assert re.search(r'id="err-larger_min_size">[^<]*obligatoire', no_size.text)
    assert [e for e in coordinator.published("reference") if e.type == "CampaignOpened"] == []
