"""A campaign extended, closed or moved to other areas: decided by the reference writer, and
what distributions and coverage see after it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from api import deps
from events.households import (
    CampaignAreasChanged,
    CampaignClosed,
    CampaignExtended,
    CampaignOpened,
    HouseholdRegistered,
)
from events.reference import LocationRegistered
from services.domain.decisions import Refused, Rejected
from services.domain.distributions.eligibility import CampaignTerms, Profile, eligibility
from services.domain.privacy import pseudonym
from services.domain.reference.decider import (
    ChangeCampaignAreas,
    CloseCampaign,
    ExtendCampaign,
    OpenCampaign,
    ReferenceDecider,
    Registration,
)
from tests.support.api import SITE, ApiHarness

RAMADAN = CampaignOpened(
    campaign_id="ramadan-2026", name="Ramadan 2026", item_id="ramadan-basket",
    quantity_per_household=1, starts_on=date(2026, 2, 18), ends_on=date(2026, 3, 31),
)  # fmt: skip
DECIDER = ReferenceDecider()
MARCH_10 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def known(*events: Any) -> Registration:
    state = DECIDER.initial()
    for event in events:
        state = DECIDER.evolve(state, event)
    return state


def test_a_campaign_extended_runs_to_its_new_end_and_never_back() -> None:
    extend = ExtendCampaign(campaign_id="ramadan-2026", ends_on=date(2026, 4, 15), reason="Aïd")

    [event] = DECIDER.decide(known(RAMADAN), extend, MARCH_10)

    assert event == CampaignExtended(campaign_id="ramadan-2026", ends_on=date(2026, 4, 15),
                                     reason="Aïd")  # fmt: skip
    earlier = extend.model_copy(update={"ends_on": date(2026, 4, 1)})
    with pytest.raises(Rejected) as not_later:
        DECIDER.decide(known(RAMADAN, event), earlier, MARCH_10)
    assert (not_later.value.code, not_later.value.details["ends_on"]) == ("not_later", "2026-04-15")


def test_the_writer_refuses_a_campaign_day_outside_the_years_2000_to_2100() -> None:
    far = RAMADAN.model_copy(update={"ends_on": date(2101, 1, 1)})
    with pytest.raises(Rejected) as opened:
        DECIDER.decide(known(), OpenCampaign(campaign=far), MARCH_10)
    assert (opened.value.code, opened.value.details["field"]) == ("date_out_of_range", "ends_on")

    beyond = ExtendCampaign(campaign_id="ramadan-2026", ends_on=date(2101, 1, 1), reason="x")
    with pytest.raises(Rejected) as extended:
        DECIDER.decide(known(RAMADAN), beyond, MARCH_10)
    assert extended.value.code == "date_out_of_range"
    last = beyond.model_copy(update={"ends_on": date(2100, 12, 31)})
    assert DECIDER.decide(known(RAMADAN), last, MARCH_10) != []


def test_a_campaign_closes_today_and_then_neither_closes_nor_extends_again() -> None:
    close = CloseCampaign(campaign_id="ramadan-2026", reason="stock exhausted")

    [closed] = DECIDER.decide(known(RAMADAN), close, MARCH_10)

    assert closed == CampaignClosed(campaign_id="ramadan-2026", closed_on=date(2026, 3, 10),
                                    reason="stock exhausted")  # fmt: skip
    extend = ExtendCampaign(campaign_id="ramadan-2026", ends_on=date(2026, 4, 15), reason="x")
    for command in (close, extend):
        with pytest.raises(Refused) as refused:
            DECIDER.decide(known(RAMADAN, closed), command, MARCH_10)
        assert refused.value.code == "campaign_closed"


def test_a_campaign_closed_after_its_end_closes_on_its_end() -> None:
    close = CloseCampaign(campaign_id="ramadan-2026", reason="report filed")
    [closed] = DECIDER.decide(known(RAMADAN), close, datetime(2026, 5, 2, tzinfo=UTC))
    assert closed.closed_on == date(2026, 3, 31)  # type: ignore[attr-defined]


def test_only_a_campaign_can_be_extended() -> None:
    with pytest.raises(Refused) as refused:
        DECIDER.decide(known(), CloseCampaign(campaign_id="ramadan-2026", reason="x"), MARCH_10)
    assert refused.value.code == "unknown_campaign"


def test_a_campaign_moves_to_other_areas_from_today_and_remembers_the_old_ones() -> None:
    move = ChangeCampaignAreas(campaign_id="ramadan-2026", region_codes=["MA07", "MA06", "MA06"],
                               reason="Azilal cut off")  # fmt: skip
    opened = RAMADAN.model_copy(update={"region_codes": ["MA07"]})

    [moved] = DECIDER.decide(known(opened), move, MARCH_10)

    assert moved == CampaignAreasChanged(
        campaign_id="ramadan-2026", region_codes=["MA06", "MA07"], previous_region_codes=["MA07"],
        effective_on=date(2026, 3, 10), reason="Azilal cut off",
    )  # fmt: skip
    with pytest.raises(Rejected) as same:
        DECIDER.decide(known(opened, moved), move, MARCH_10)
    assert (same.value.code, same.value.details["region_codes"]) == ("no_change", ["MA06", "MA07"])
    everywhere = move.model_copy(update={"region_codes": []})
    [again] = DECIDER.decide(known(opened, moved), everywhere, MARCH_10)
    assert again.previous_region_codes == ["MA06", "MA07"]  # type: ignore[attr-defined]


def test_areas_change_only_while_the_campaign_runs_and_from_its_first_day() -> None:
    move = ChangeCampaignAreas(campaign_id="ramadan-2026", region_codes=["MA06"], reason="x")
    closed = CampaignClosed(campaign_id="ramadan-2026", closed_on=date(2026, 3, 5), reason="x")
    april = datetime(2026, 4, 2, tzinfo=UTC)
    for state, now, code in (
        (known(), MARCH_10, "unknown_campaign"),
        (known(RAMADAN, closed), MARCH_10, "campaign_closed"),
        (known(RAMADAN), april, "campaign_ended"),
    ):
        with pytest.raises(Refused) as refused:
            DECIDER.decide(state, move, now)
        assert refused.value.code == code
    [early] = DECIDER.decide(known(RAMADAN), move, datetime(2026, 1, 5, tzinfo=UTC))
    assert early.effective_on == RAMADAN.starts_on  # type: ignore[attr-defined]


def test_eligibility_on_a_day_follows_the_areas_of_that_day() -> None:
    terms = CampaignTerms.model_validate(
        RAMADAN.model_dump() | {"region_codes": ["MA06"], "area_changes": [
            {"effective_on": "2026-03-01", "region_codes": ["MA09"],
             "previous_region_codes": ["MA07"]},
            {"effective_on": "2026-03-10", "region_codes": ["MA06"],
             "previous_region_codes": ["MA09"]},
        ]}
    )  # fmt: skip
    in_haouz = Profile("MA07", None, (), None)
    days = [date(2026, 2, 20), date(2026, 3, 1), date(2026, 3, 9), date(2026, 3, 10)]
    assert [terms.regions_on(day) for day in days] == [["MA07"], ["MA09"], ["MA09"], ["MA06"]]
    assert [eligibility(in_haouz, terms, on=day)[0] for day in days] == [True, False, False, False]
    assert eligibility(in_haouz, terms)[1] == "the campaign covers regions MA06, not MA07"


def test_an_unchanged_campaign_serializes_as_before_areas_could_change() -> None:
    terms = CampaignTerms.model_validate(RAMADAN.model_dump() | {"area_changes": None})
    assert "area_changes" not in terms.model_dump() and terms.area_changes == []


# --- Over HTTP --------------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        services = harness.app.state.services
        harness.apply(RAMADAN)
        for n in range(3):
            cin = f"EE48291{n}"
            services.personal.new_key(f"hh-{n}")
            sealed = services.personal.seal(f"hh-{n}", {"head_name": "Zahra", "national_id": cin})
            identity = pseudonym(harness.settings.pseudonym_key, "cin", cin)
            harness.apply(
                HouseholdRegistered(household_id=f"hh-{n}", identity=identity,
                                    national_id_pseudonym=identity, size=5, region_code="MA07",
                                    groups=[], sealed_personal_data=sealed)
            )  # fmt: skip
        harness.app.dependency_overrides[deps.now] = lambda: MARCH_10
        yield harness


def _hand(api: ApiHarness, n: int, on: str, path: str = "/v1/distributions") -> Any:
    """A basket handed on the day at 10:00, recorded (or synced) an hour later, or on the
    10th of March when that is later (a record is never dated after it is recorded)."""
    record = {"id": f"dist-{n}-{on}", "campaign_id": "ramadan-2026", "household_id": f"hh-{n}",
              "site_id": SITE, "quantity": 1, "occurred_at": f"{on}T10:00:00+00:00"}  # fmt: skip
    recorded = max(MARCH_10, datetime.fromisoformat(f"{on}T11:00:00+00:00"))
    api.app.dependency_overrides[deps.now] = lambda: recorded
    try:
        if path.endswith("batch"):
            return api.post("agent", path, {"records": [record]})
        return api.post("agent", path, record)
    finally:
        api.app.dependency_overrides[deps.now] = lambda: MARCH_10


def test_an_extended_campaign_takes_a_distribution_past_its_first_end(api: ApiHarness) -> None:
    assert _hand(api, 0, "2026-04-10").status_code == 409  # outside_campaign

    r = api.post("coordinator", "/v1/campaigns/ramadan-2026/extend",
                 {"ends_on": "2026-04-15", "reason": "Aïd el-Fitr"})  # fmt: skip
    assert r.status_code == 201, r.text
    api.project_published()

    listed = api.get("coordinator", "/v1/campaigns").json()["items"]
    assert [(c["id"], c["ends_on"], c["closed_on"]) for c in listed] == [
        ("ramadan-2026", "2026-04-15", None)
    ]
    assert _hand(api, 1, "2026-04-10").status_code == 201


def test_a_closed_campaign_refuses_later_records_and_counts_earlier_ones(api: ApiHarness) -> None:
    r = api.post("coordinator", "/v1/campaigns/ramadan-2026/close", {"reason": "stock out"})
    assert r.status_code == 201, r.text
    api.project_published()

    after = _hand(api, 0, "2026-03-11")
    late_but_before = _hand(api, 1, "2026-03-09", "/v1/distributions/batch")
    late_and_after = _hand(api, 2, "2026-03-12", "/v1/distributions/batch")
    extend = api.post("coordinator", "/v1/campaigns/ramadan-2026/extend",
                      {"ends_on": "2026-04-15", "reason": "x"})  # fmt: skip

    assert (after.status_code, after.json()["error"]) == (409, "campaign_closed")
    assert late_but_before.json()["results"][0]["status"] == "accepted"
    [kept] = late_and_after.json()["results"]
    assert kept["status"] == "duplicate" and "closed on 2026-03-10" in kept["reason"]
    assert (extend.status_code, extend.json()["error"]) == (409, "campaign_closed")
    listed = api.get("coordinator", "/v1/campaigns").json()["items"]
    assert listed[0]["closed_on"] == "2026-03-10"


def test_a_late_record_of_a_closed_campaign_waits_flagged_and_counts_once_accepted(
    api: ApiHarness,
) -> None:
    def reached() -> int:
        found = api.get("coordinator", "/v1/campaigns/ramadan-2026/coverage")
        return int(found.json()["reached_households"])

    api.post("coordinator", "/v1/campaigns/ramadan-2026/close", {"reason": "stock out"})
    api.project_published()
    _hand(api, 2, "2026-03-12", "/v1/distributions/batch")
    api.project_published()

    flagged = api.get("coordinator", "/v1/distributions/duplicates",
                      {"campaign_id": "ramadan-2026"}).json()["items"]  # fmt: skip
    assert [(d["distribution_id"], d["status"], d["flag"]) for d in flagged] == [
        ("dist-2-2026-03-12", "duplicate", "campaign_closed")
    ]
    assert reached() == 0
    accept = api.post("coordinator", "/v1/distributions/duplicates/dist-2-2026-03-12/resolve",
                      {"resolution": "accept", "reason": "handed on the last evening"})  # fmt: skip
    assert accept.status_code == 201, accept.text
    api.project_published()

    assert reached() == 1
    seen = api.get("coordinator", "/v1/households/hh-2/eligibility",
                   {"campaign_id": "ramadan-2026"}).json()  # fmt: skip
    assert [(d["distribution_id"], d["status"]) for d in seen["received"]] == [
        ("dist-2-2026-03-12", "exception")
    ]


def test_lifecycle_refusals_over_http(api: ApiHarness) -> None:
    shorter = api.post("coordinator", "/v1/campaigns/ramadan-2026/extend",
                       {"ends_on": "2026-03-01", "reason": "x"})  # fmt: skip
    unknown = api.post("coordinator", "/v1/campaigns/nope/close", {"reason": "x"})
    agent = api.post("agent", "/v1/campaigns/ramadan-2026/close", {"reason": "x"})

    assert (shorter.status_code, shorter.json()["error"]) == (422, "not_later")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_campaign")
    assert agent.status_code == 403


def test_a_campaign_moved_away_refuses_today_counts_earlier_and_recounts_coverage(
    api: ApiHarness,
) -> None:
    def coverage() -> list[tuple[str, int, int]]:
        areas = api.get("coordinator", "/v1/campaigns/ramadan-2026/coverage").json()["by_area"]
        return [(a["region_code"], a["eligible_households"], a["reached_households"])
                for a in areas]  # fmt: skip

    assert _hand(api, 0, "2026-03-02").status_code == 201
    api.project_published()
    assert coverage() == [("MA07", 3, 1)]

    r = api.post("coordinator", "/v1/campaigns/ramadan-2026/areas",
                 {"region_codes": ["MA06"], "reason": "Azilal cut off"})  # fmt: skip
    assert r.status_code == 201, r.text
    api.project_published()

    today = _hand(api, 1, "2026-03-10")
    late_from_before = _hand(api, 2, "2026-03-09", "/v1/distributions/batch")
    assert (today.status_code, today.json()["error"]) == (409, "not_eligible")
    assert late_from_before.json()["results"][0]["status"] == "accepted"
    api.project_published()
    assert coverage() == [("MA07", 0, 2)]  # no longer targeted, reached all the same
    [listed] = api.get("coordinator", "/v1/campaigns").json()["items"]
    assert (listed["region_codes"], listed["area_changes"]) == (
        ["MA06"],
        [{"effective_on": "2026-03-10", "region_codes": ["MA06"],
          "previous_region_codes": []}],
    )  # fmt: skip
    same = api.post("coordinator", "/v1/campaigns/ramadan-2026/areas",
                    {"region_codes": ["MA06"], "reason": "x"})  # fmt: skip
    assert (same.status_code, same.json()["error"]) == (422, "no_change")


CAMPAIGN_BODY = {"id": "hiver-2026", "name": "Hiver 2026", "item_id": "ramadan-basket",
                 "quantity_per_household": 1, "starts_on": "2026-12-01",
                 "ends_on": "2027-02-28"}  # fmt: skip


def _opened(api: ApiHarness) -> list[str]:
    return [e.data["campaign_id"] for e in api.published("reference") if e.type == "CampaignOpened"]


def test_a_campaign_of_a_region_the_reference_data_does_not_know_is_a_422(
    api: ApiHarness,
) -> None:
    opened = api.post("coordinator", "/v1/campaigns",
                      CAMPAIGN_BODY | {"region_codes": ["MA07", "MA99"]})  # fmt: skip
    moved = api.post("coordinator", "/v1/campaigns/ramadan-2026/areas",
                     {"region_codes": ["MA99"], "reason": "x"})  # fmt: skip

    for answer in (opened, moved):
        assert answer.status_code == 422, answer.text
        body = answer.json()
        assert (body["field"], body["reason"]) == ("region_codes", "unknown_region")
        assert "'MA99'" in body["message"] and "register a location there" in body["message"]
    assert _opened(api) == []
    assert [e for e in api.published("reference") if e.type == "CampaignAreasChanged"] == []
    known = api.post("coordinator", "/v1/campaigns", CAMPAIGN_BODY | {"region_codes": ["MA06"]})
    assert known.status_code == 201, known.text


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "field"),
    [
        ("0001-01-01", "9999-12-31", "starts_on"),
        ("1900-01-01", "1900-01-02", "starts_on"),
        ("1999-12-31", "2026-01-31", "starts_on"),
        ("2026-12-01", "2101-01-01", "ends_on"),
    ],
)
def test_a_campaign_dated_outside_the_years_2000_to_2100_is_a_422_naming_the_field(
    api: ApiHarness, starts_on: str, ends_on: str, field: str
) -> None:
    r = api.post("coordinator", "/v1/campaigns",
                 CAMPAIGN_BODY | {"starts_on": starts_on, "ends_on": ends_on})  # fmt: skip

    assert r.status_code == 422, r.text
    body = r.json()
    assert (body["field"], body["reason"]) == (field, "date_out_of_range")
    assert body["message"] == f"{field} is a day from 2000-01-01 to 2100-12-31: check its year"
    assert _opened(api) == []


def test_a_campaign_extended_beyond_2100_is_a_422_and_to_its_last_day_is_not(
    api: ApiHarness,
) -> None:
    beyond = api.post("coordinator", "/v1/campaigns/ramadan-2026/extend",
                      {"ends_on": "9999-12-31", "reason": "x"})  # fmt: skip
    last = api.post("coordinator", "/v1/campaigns/ramadan-2026/extend",
                    {"ends_on": "2100-12-31", "reason": "x"})  # fmt: skip

    assert (beyond.status_code, beyond.json()["field"]) == (422, "ends_on"), beyond.text
    assert last.status_code == 201, last.text


def test_a_campaign_ending_before_it_starts_is_a_422_in_words(api: ApiHarness) -> None:
    r = api.post("coordinator", "/v1/campaigns",
                 CAMPAIGN_BODY | {"starts_on": "2026-12-01", "ends_on": "2026-11-30"})  # fmt: skip

    assert r.status_code == 422, r.text
    assert (r.json()["field"], r.json()["message"]) == (
        "ends_on",
        "ends_on: ends_on must not be before starts_on: give a later end",
    )


# --- From the coverage page ---------------------------------------------------------------------

PASSWORD = "tajine-et-the-2026"


@pytest.fixture
def web(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path, auto_project=True) as harness:
        harness.apply(RAMADAN)
        harness.create_user("fatima.web", "coordinator", password=PASSWORD)
        page = harness.client.get("/signin")
        signed = harness.client.post(
            "/signin",
            data={"csrf": _csrf(page.text), "username": "fatima.web", "password": PASSWORD},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
        yield harness


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field"
    return found.group(1)


def test_a_coordinator_extends_then_closes_a_campaign_from_its_coverage_page(
    web: ApiHarness,
) -> None:
    page = web.client.get("/coordinator/coverage?campaign_id=ramadan-2026")
    assert "Du 18 fév. 2026 au 31 mar. 2026" in page.text
    token = _csrf(page.text)

    too_early = web.client.post(
        "/coordinator/campaigns/ramadan-2026/extend",
        data={"csrf": token, "ends_on": "2026-03-01", "reason": "Aïd"},
    )
    extended = web.client.post(
        "/coordinator/campaigns/ramadan-2026/extend",
        data={"csrf": token, "ends_on": "2026-04-15", "reason": "Aïd"},
    )
    closed = web.client.post(
        "/coordinator/campaigns/ramadan-2026/close", data={"csrf": token, "reason": "fin"}
    )

    assert too_early.status_code == 422
    assert "court déjà jusqu’au 2026-03-31" in too_early.text
    assert extended.status_code == 200 and "Campagne prolongée." in extended.text
    assert "au 15 avr. 2026" in extended.text
    assert closed.status_code == 200 and "Campagne clôturée." in closed.text
    assert "clôturée le" in closed.text
    assert 'action="/coordinator/campaigns/ramadan-2026/close"' not in closed.text


def test_a_coordinator_moves_a_campaign_to_other_regions_from_its_coverage_page(
    web: ApiHarness,
) -> None:
    web.apply(
        LocationRegistered(location_id="site-azilal", name="Azilal", kind="site",
                           region_code="MA05", region_name="Béni Mellal-Khénifra"),
        LocationRegistered(location_id="site-asni", name="Asni", kind="site",
                           region_code="MA07", region_name="Marrakech-Safi"),
        # the page decides at the real today: a campaign still running then
        RAMADAN.model_copy(update={"campaign_id": "hiver", "ends_on": date(2099, 3, 31)}),
    )  # fmt: skip
    page = web.client.get("/coordinator/coverage?campaign_id=hiver")
    assert "Couvre : toutes les régions" in page.text
    token = _csrf(page.text)

    moved = web.client.post(
        "/coordinator/campaigns/hiver/areas",
        data={"csrf": token, "region_codes": ["MA05", "MA07"], "reason": "Azilal"},
    )
    again = web.client.post(
        "/coordinator/campaigns/hiver/areas",
        data={"csrf": token, "region_codes": ["MA07", "MA05"], "reason": "encore"},
    )

    assert moved.status_code == 200 and "Zones changées" in moved.text
    assert "Couvre : Béni Mellal-Khénifra, Marrakech-Safi" in moved.text
    assert "(avant : toutes les régions)" in moved.text
    assert again.status_code == 422 and "La campagne couvre déjà ces régions." in again.text


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"region_codes": ["MA07", "MA99"]}, "region_codes names &#39;MA99&#39;, not a region"),
        ({"starts_on": "1900-01-01", "ends_on": "1900-01-02"}, "entre 2000 et 2100"),
        ({"ends_on": "9999-12-31"}, "entre 2000 et 2100 : vérifiez l&#39;année"),
    ],
)
def test_the_campaign_form_refuses_an_unknown_region_or_an_implausible_day_in_words(
    web: ApiHarness, fields: dict[str, Any], words: str
) -> None:
    form = web.client.get("/coordinator/new/campaign")
    body = {"csrf": _csrf(form.text), "id": "hiver-2026", "name": "Hiver 2026",
            "item_id": "ramadan-basket", "quantity_per_household": "1",
            "starts_on": "2026-12-01", "ends_on": "2027-02-28"} | fields  # fmt: skip

    answer = web.client.post("/coordinator/new/campaign", data=body, follow_redirects=False)

    assert answer.status_code == 422, answer.text
    assert words in answer.text
    assert _opened(web) == []


def test_the_coverage_page_refuses_to_move_a_campaign_to_an_unknown_region(
    web: ApiHarness,
) -> None:
    web.apply(RAMADAN.model_copy(update={"campaign_id": "hiver", "ends_on": date(2099, 3, 31)}))
    token = _csrf(web.client.get("/coordinator/coverage?campaign_id=hiver").text)

    moved = web.client.post(
        "/coordinator/campaigns/hiver/areas",
        data={"csrf": token, "region_codes": ["MA99"], "reason": "Azilal"},
    )

    assert moved.status_code == 422
    assert "region_codes names &#39;MA99&#39;, not a region of the reference data" in moved.text
    assert [e for e in web.published("reference") if e.type == "CampaignAreasChanged"] == []
