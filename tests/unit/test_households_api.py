"""Households, eligibility, distributions and coverage over HTTP, as stories, and their privacy.

The real app through `ApiHarness` (real deciders, in-memory publisher, SQLite read model);
`project_published()` after writes, before reads. The API's clock is pinned to the morning
of 1 March 2026, in the middle of the Ramadan campaign, so records without `occurred_at`
carry a known time. Identities, names and phones below are made up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, inspect, select

from api import deps
from api.ui.i18n import Translator
from events import encode
from events.reference import LocationRegistered
from projections import households_queries, queries
from projections.tables import households
from services.app import reading
from services.app.kept_rows import REFERENCE, KeptRows
from tests.support.api import SITE, ApiHarness
from tests.unit.test_web_ui import PASSWORD, sign_in

RAMADAN, BASKETS = "ramadan-2026", "ramadan-basket"
MARRAKECH = "wh-marrakech"
MORNING = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    """A household as a social worker registers it."""

    household_id: str
    head_name: str
    region_code: str
    province_code: str
    national_id: str | None = None
    registry_number: str | None = None
    phone: str | None = None
    groups: tuple[str, ...] = ("children",)

    def body(self, **changes: Any) -> dict[str, Any]:
        body = {
            "id": self.household_id,
            "national_id": self.national_id,
            "registry_number": self.registry_number,
            "head_name": self.head_name,
            "size": 5,
            "region_code": self.region_code,
            "province_code": self.province_code,
            "groups": list(self.groups),
            "phone": self.phone,
        }
        return {k: v for k, v in (body | changes).items() if v is not None}

    @property
    def secrets(self) -> list[str]:
        """Everything about this person that must never be readable outside the API."""
        found = [self.head_name, self.national_id, self.registry_number, self.phone]
        if self.phone:
            found.append(self.phone.replace(" ", "").removeprefix("+212"))
        return [s for s in found if s]


FATIMA = Person("hh-amizmiz-001", "Fatima Zahra Benali", "MA07", "MA0701", national_id="BE123456",
                registry_number="RSU-2024-000117", phone="+212 661 234 567")  # fmt: skip
MOHAMED = Person("hh-amizmiz-002", "Mohamed Ait Lahcen", "MA07", "MA0701",
                 national_id="EE482913", groups=("elderly",))  # fmt: skip
KHADIJA = Person("hh-chichaoua-003", "Khadija Oubella", "MA07", "MA0706",
                 registry_number="RSU-2024-000342", phone="0662 98 76 54",
                 groups=("women",))  # fmt: skip
YOUSSEF = Person("hh-casablanca-004", "Youssef El Idrissi", "MA06", "MA0601",
                 national_id="BK908172", phone="+212 522 40 30 20")  # fmt: skip
EVERYONE = (FATIMA, MOHAMED, KHADIJA, YOUSSEF)
# Khadija's and Youssef's provinces, which the harness's reference data lacks
PROVINCE_WAREHOUSES = (
    LocationRegistered(location_id="wh-chichaoua", name="Entrepôt Chichaoua", kind="warehouse",
                       region_code="MA07", region_name="Marrakech-Safi",
                       province_code="MA0706", province_name="Chichaoua"),
    LocationRegistered(location_id="wh-casablanca-anfa", name="Entrepôt Anfa",
                       kind="warehouse", region_code="MA06", region_name="Casablanca-Settat",
                       province_code="MA0601", province_name="Casablanca"),
)  # fmt: skip


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    """The app, its clock pinned to 1 March 2026, 10:00 UTC, and the Ramadan 2026 campaign:
    one basket per household of Marrakech-Safi (MA07), 18 February to 31 March. The
    reference data knows the provinces of the people below (a warehouse in each)."""
    with ApiHarness(tmp_path) as harness:
        harness.app.dependency_overrides[deps.now] = lambda: MORNING
        harness.apply(*PROVINCE_WAREHOUSES)
        opened = harness.post("coordinator", "/v1/campaigns", {
            "id": RAMADAN, "name": "Ramadan 2026", "item_id": BASKETS,
            "quantity_per_household": 1, "starts_on": "2026-02-18", "ends_on": "2026-03-31",
            "region_codes": ["MA07"],
        })  # fmt: skip
        assert opened.status_code == 201, opened.text
        harness.project_published()
        yield harness


@pytest.fixture
def registered(api: ApiHarness) -> ApiHarness:
    """The four households, registered by the Al Haouz agent."""
    for person in EVERYONE:
        r = api.post("agent", "/v1/households", person.body())
        assert r.status_code == 201, r.text
    api.project_published()
    return api


def error_of(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert body["message"]
    return body


def basket(distribution_id: str, household_id: str, **fields: Any) -> dict[str, Any]:
    """One Ramadan basket handed at the Amizmiz site."""
    return {"id": distribution_id, "campaign_id": RAMADAN, "household_id": household_id,
            "site_id": SITE, "quantity": 1} | fields  # fmt: skip


def by_cin(record: dict[str, Any], national_id: str) -> dict[str, Any]:
    """The same record, naming the household by its head's CIN instead of its id."""
    return {k: v for k, v in record.items() if k != "household_id"} | {"national_id": national_id}


def distribute(api: ApiHarness, distribution_id: str, household_id: str, **fields: Any) -> dict:
    r = api.post("agent", "/v1/distributions", basket(distribution_id, household_id, **fields))
    assert r.status_code == 201, r.text
    return dict(r.json())


def eligibility(api: ApiHarness, household_id: str, who: str = "agent") -> dict[str, Any]:
    r = api.get(who, f"/v1/households/{household_id}/eligibility", {"campaign_id": RAMADAN})
    assert r.status_code == 200, r.text
    return dict(r.json())


def coverage(api: ApiHarness, who: str = "coordinator") -> dict[str, Any]:
    r = api.get(who, f"/v1/campaigns/{RAMADAN}/coverage")
    assert r.status_code == 200, r.text
    return dict(r.json())


# ---- registration --------------------------------------------------------------------------


def test_an_agent_registers_a_household_and_sees_its_personal_fields(api: ApiHarness) -> None:
    r = api.post("agent", "/v1/households", FATIMA.body())

    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["position"]
    assert {k: v for k, v in answer.items() if k != "position"} == {
        "id": FATIMA.household_id, "size": 5, "region_code": "MA07", "province_code": "MA0701",
        "groups": ["children"], "precarity_score": None, "site_id": None, "members": None,
        "erased": False, "personal": {"head_name": "Fatima Zahra Benali", "national_id": "BE123456",
                     "registry_number": "RSU-2024-000117", "phone": "+212 661 234 567",
                     "members": None, "housing_notes": None, "income_notes": None},
    }  # fmt: skip
    [event] = api.published("households")
    assert event.type == "HouseholdRegistered"


def test_registering_the_same_household_again_with_the_same_id_changes_nothing(
    api: ApiHarness,
) -> None:
    first = api.post("agent", "/v1/households", FATIMA.body())
    again = api.post("agent", "/v1/households", FATIMA.body())

    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json() == first.json()
    assert len(api.published("households")) == 1


@pytest.mark.parametrize("cin", ["123456", "ABC1234", "B E12", "BE", "BE-123456"])
def test_a_national_id_that_is_not_a_cin_is_a_422_naming_the_field(
    api: ApiHarness, cin: str
) -> None:
    r = api.post("agent", "/v1/households", FATIMA.body(national_id=cin))

    body = error_of(r, 422, "invalid_request")
    assert body["field"] == "national_id"
    assert api.published("households") == []


def test_a_household_without_national_id_nor_registry_number_is_a_422(api: ApiHarness) -> None:
    anonymous = FATIMA.body()
    del anonymous["national_id"], anonymous["registry_number"]

    body = error_of(api.post("agent", "/v1/households", anonymous), 422, "invalid_request")

    assert "national_id" in body["message"] and "registry_number" in body["message"]
    assert api.published("households") == []


@pytest.mark.parametrize("cin", ["BE123456", "be123456"], ids=["as-written", "lower-case"])
def test_the_same_person_under_another_id_is_a_409_naming_the_existing_household(
    registered: ApiHarness, cin: str
) -> None:
    before = len(registered.published())
    twin = FATIMA.body(id="hh-amizmiz-099", national_id=cin, registry_number=None)

    body = error_of(registered.post("agent", "/v1/households", twin), 409, "already_registered")

    assert body["household_id"] == FATIMA.household_id
    assert FATIMA.household_id in body["message"]
    assert len(registered.published()) == before
    # the key made for the refused id is not left behind
    assert registered.app.state.services.personal.keys.get("hh-amizmiz-099") is None


def test_the_same_person_by_registry_number_alone_is_a_409(registered: ApiHarness) -> None:
    twin = FATIMA.body(id="hh-amizmiz-098", national_id=None)

    body = error_of(registered.post("agent", "/v1/households", twin), 409, "already_registered")

    assert body["household_id"] == FATIMA.household_id


def test_an_agent_finds_a_household_by_national_id_given_in_the_body(
    registered: ApiHarness,
) -> None:
    r = registered.post("agent", "/v1/households/lookup", {"national_id": "ee482913"})

    assert r.status_code == 200, r.text
    assert r.json()["id"] == MOHAMED.household_id
    assert r.json()["personal"]["head_name"] == "Mohamed Ait Lahcen"


def test_an_agent_finds_a_household_by_registry_number_given_in_the_body(
    registered: ApiHarness,
) -> None:
    r = registered.post("agent", "/v1/households/lookup", {"registry_number": "RSU-2024-000342"})

    assert r.status_code == 200, r.text
    assert r.json()["id"] == KHADIJA.household_id


def test_looking_up_someone_never_registered_is_a_404(registered: ApiHarness) -> None:
    r = registered.post("agent", "/v1/households/lookup", {"national_id": "ZT000001"})

    error_of(r, 404, "unknown_household")


# ---- who may see households ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["donor", "operator"])
def test_donors_and_warehouse_operators_never_reach_households(
    registered: ApiHarness, role: str
) -> None:
    answers = [
        registered.post(role, "/v1/households", FATIMA.body(id="hh-new-001")),
        registered.get(role, f"/v1/households/{FATIMA.household_id}"),
        registered.post(role, "/v1/households/lookup", {"national_id": "BE123456"}),
        registered.get(role, f"/v1/households/{FATIMA.household_id}/eligibility",
                       {"campaign_id": RAMADAN}),
    ]  # fmt: skip

    assert [r.status_code for r in answers] == [403, 403, 403, 403]
    assert all(FATIMA.head_name not in r.text for r in answers)


def test_the_auditor_sees_coverage_but_not_a_household(registered: ApiHarness) -> None:
    details = registered.get("auditor", f"/v1/households/{FATIMA.household_id}")
    lookup = registered.post("auditor", "/v1/households/lookup", {"national_id": "BE123456"})

    assert error_of(details, 403, "forbidden")["permission"] == "households.read"
    assert lookup.status_code == 403
    assert coverage(registered, "auditor")["eligible_households"] == 3


# ---- eligibility and distributions -------------------------------------------------------------


def test_eligibility_says_yes_before_the_basket_and_lists_it_after(registered: ApiHarness) -> None:
    before = eligibility(registered, FATIMA.household_id)
    distribute(registered, "dist-amizmiz-001", FATIMA.household_id)
    registered.project_published()
    after = eligibility(registered, FATIMA.household_id)

    assert before == {
        "household_id": FATIMA.household_id, "campaign_id": RAMADAN, "eligible": True,
        "reason": "eligible", "entitlement": 1, "remaining": 1, "received": [],
    }  # fmt: skip
    assert after == before | {
        "eligible": False,
        "reason": "already received the full entitlement of this campaign",
        "remaining": 0,
        "received": [{"distribution_id": "dist-amizmiz-001", "site_id": SITE, "quantity": 1,
                      "occurred_at": "2026-03-01T10:00:00Z", "status": "accepted"}],
    }  # fmt: skip


def test_a_household_of_another_region_is_not_eligible_in_plain_words(
    registered: ApiHarness,
) -> None:
    answer = eligibility(registered, YOUSSEF.household_id)

    assert (answer["eligible"], answer["reason"]) == (
        False,
        "the campaign covers regions MA07, not MA06",
    )
    assert answer["received"] == []


def test_a_second_basket_online_is_a_409_saying_where_and_when_the_first_was_given(
    registered: ApiHarness,
) -> None:
    first = distribute(registered, "dist-amizmiz-001", FATIMA.household_id)
    later = basket("dist-amizmiz-002", FATIMA.household_id, occurred_at="2026-03-04T15:30:00+01:00")
    registered.app.dependency_overrides[deps.now] = lambda: MORNING + timedelta(days=3, hours=5)
    again = registered.post("agent", "/v1/distributions", later)

    assert [e["type"] for e in first["events"]] == ["AidDistributed"]
    body = error_of(again, 409, "already_received")
    assert SITE in body["message"] and "2026-03-01 10:00" in body["message"]
    assert (body["site_id"], body["received_at"], body["first_distribution_id"]) == (
        SITE,
        "2026-03-01T10:00:00+00:00",
        "dist-amizmiz-001",
    )
    assert len(registered.published("distributions")) == 1


def test_a_basket_can_be_recorded_by_national_id(registered: ApiHarness) -> None:
    r = registered.post("agent", "/v1/distributions",
                        by_cin(basket("dist-amizmiz-003", ""), "EE482913"))  # fmt: skip

    assert r.status_code == 201, r.text
    [event] = r.json()["events"]
    assert event["data"]["household_id"] == MOHAMED.household_id


def test_the_same_distribution_retried_a_minute_later_gets_the_same_answer(
    registered: ApiHarness,
) -> None:
    first = distribute(registered, "dist-amizmiz-001", FATIMA.household_id)
    registered.app.dependency_overrides[deps.now] = lambda: MORNING + timedelta(minutes=1)

    again = registered.post("agent", "/v1/distributions",
                            basket("dist-amizmiz-001", FATIMA.household_id))  # fmt: skip

    assert again.status_code == 200, again.text
    assert again.json()["events"] == first["events"]


@pytest.mark.parametrize("seconds", [1.0, 0.0])
def test_baskets_in_a_row_read_their_site_and_campaign_once_while_kept(
    registered: ApiHarness, monkeypatch: pytest.MonkeyPatch, seconds: float
) -> None:
    registered.app.state.services.reference = KeptRows(REFERENCE, seconds)
    reads: list[Any] = []
    real_seen = reading.seen

    async def counted(ports: Any, stream: str, lookup: Any, *args: Any) -> Any:
        reads.append(lookup)
        return await real_seen(ports, stream, lookup, *args)

    monkeypatch.setattr(reading, "seen", counted)
    distribute(registered, "dist-kept-1", FATIMA.household_id)
    distribute(registered, "dist-kept-2", MOHAMED.household_id)

    site_and_campaign = [r for r in reads if r in (queries.location, households_queries.campaign)]
    assert len(site_and_campaign) == (2 if seconds else 4)
    assert reads.count(households_queries.household) == 2  # a household is read every time


def test_a_warehouse_is_not_a_distribution_site(registered: ApiHarness) -> None:
    body = basket("dist-wh-001", FATIMA.household_id, site_id=MARRAKECH)

    r = registered.post("admin", "/v1/distributions", body)

    assert error_of(r, 422, "invalid_request")["field"] == "site_id"
    assert MARRAKECH in r.json()["message"]
    assert registered.published("distributions") == []


# ---- offline sync ------------------------------------------------------------------------------


def offline(distribution_id: str, household_id: str, **fields: Any) -> dict[str, Any]:
    """A record captured on a tablet at Amizmiz on 28 February, synced days later."""
    return basket(distribution_id, household_id, occurred_at="2026-02-28T16:00:00+01:00") | fields


SYNC = {
    "records": [
        offline("off-001", FATIMA.household_id),
        offline("off-002", FATIMA.household_id),  # the same household, twice in the batch
        offline("off-003", MOHAMED.household_id),  # already served online this morning
        offline("off-004", KHADIJA.household_id, campaign_id="eid-2025"),
        offline("off-005", "hh-nowhere-404"),
        offline("off-006", KHADIJA.household_id, quantity=0),
        offline("off-007", KHADIJA.household_id, occurred_at="2026-02-10T09:00:00+00:00"),
        {"campaign_id": RAMADAN, "household_id": KHADIJA.household_id, "quantity": 1},
        offline("off-009", KHADIJA.household_id),
    ]
}
SYNCED = [
    {"id": "off-001", "status": "accepted", "reason": None},
    {"id": "off-002", "status": "duplicate", "reason": None},
    {"id": "off-003", "status": "duplicate", "reason": None},
    {"id": "off-004", "status": "rejected",
     "reason": "unknown campaign 'eid-2025': register it first"},
    {"id": "off-005", "status": "rejected",
     "reason": "no registered household matches; register it first"},
    {"id": "off-006", "status": "rejected", "reason": "quantity: Input should be greater than 0"},
    {"id": "off-007", "status": "duplicate",  # handed before the start: kept, flagged
     "reason": "handed outside the campaign's dates, 2026-02-18 to 2026-03-31: kept for a "
               "coordinator"},
    {"id": None, "status": "rejected", "reason": "id: Field required"},
    {"id": "off-009", "status": "accepted", "reason": None},
]  # fmt: skip


def unplaced(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """A sync's results without where each record was written."""
    return [{k: v for k, v in r.items() if k != "position"} for r in answer["results"]]


def test_an_offline_batch_answers_each_record_in_order(registered: ApiHarness) -> None:
    distribute(registered, "dist-amizmiz-002", MOHAMED.household_id)

    r = registered.post("agent", "/v1/distributions/batch", SYNC)

    assert r.status_code == 200, r.text
    assert unplaced(r.json()) == SYNCED
    written = registered.published("distributions")
    landed = {e.data["distribution_id"]: f"distributions:0:{n}" for n, e in enumerate(written)}
    assert [r.get("position") for r in r.json()["results"]] == [
        landed.get(r["id"]) if r["status"] != "rejected" else None for r in SYNCED
    ]
    flagged = [e for e in registered.published("distributions")
               if e.type == "DuplicateDistributionFlagged"]  # fmt: skip
    assert {e.data["distribution_id"]: e.data["first_distribution_id"] for e in flagged} == {
        "off-002": "off-001",
        "off-003": "dist-amizmiz-002",
    }


def test_sending_the_same_batch_again_answers_the_same_and_records_nothing_new(
    registered: ApiHarness,
) -> None:
    distribute(registered, "dist-amizmiz-002", MOHAMED.household_id)
    first = registered.post("agent", "/v1/distributions/batch", SYNC)
    published = len(registered.published())

    again = registered.post("agent", "/v1/distributions/batch", SYNC)

    assert again.status_code == 200, again.text
    assert again.json() == first.json()  # where each record was written, too
    assert unplaced(first.json()) == SYNCED
    assert len(registered.published()) == published


# ---- when a basket is dated -----------------------------------------------------------------

OUT_OF_RANGE = "a distribution is dated between 2000 and now (UTC), never in the future"


def test_a_basket_dated_in_the_future_is_a_422_naming_occurred_at(registered: ApiHarness) -> None:
    far = basket("dist-far", FATIMA.household_id, occurred_at="9999-12-31T23:59:59Z")
    ahead = basket("dist-ahead", FATIMA.household_id, occurred_at="2026-03-01T10:06:00Z")

    for record in (far, ahead):
        r = registered.post("agent", "/v1/distributions", record)
        body = error_of(r, 422, "occurred_at_out_of_range")
        assert body["field"] == "occurred_at" and body["message"].startswith(OUT_OF_RANGE)
    assert registered.published("distributions") == []
    distribute(registered, "dist-now", FATIMA.household_id, occurred_at="2026-03-01T10:04:00Z")


def test_an_offline_record_dated_in_the_future_or_before_2000_is_rejected_with_the_reason(
    registered: ApiHarness,
) -> None:
    records = [
        offline("off-2099", FATIMA.household_id, occurred_at="2099-02-28T16:00:00Z"),
        offline("off-1900", MOHAMED.household_id, occurred_at="1900-02-28T16:00:00Z"),
        offline("off-weeks", KHADIJA.household_id, occurred_at="2026-02-18T08:00:00Z"),
    ]

    r = registered.post("agent", "/v1/distributions/batch", {"records": records})

    assert r.status_code == 200, r.text
    [late, early, weeks_old] = r.json()["results"]
    for rejected in (late, early):
        assert rejected["status"] == "rejected" and rejected["reason"].startswith(OUT_OF_RANGE)
    assert weeks_old["status"] == "accepted"  # a device that synced late
    assert [e.data["distribution_id"] for e in registered.published("distributions")] == [
        "off-weeks"
    ]


def test_the_agent_page_refuses_a_basket_dated_in_the_future_in_words(
    registered: ApiHarness,
) -> None:
    registered.create_user("agent.dates", "agent", password=PASSWORD, sites=[SITE])
    sign_in(registered, "agent", username="agent.dates", password=PASSWORD)
    found = re.search(r'data-csrf="([^"]+)"', registered.client.get("/agent").text)
    assert found, "no CSRF token on the agent page"
    headers = {"X-CSRF-Token": found.group(1)}
    far = basket("dist-far", FATIMA.household_id, occurred_at="9999-12-31T23:59:59Z")
    old = basket("dist-old", MOHAMED.household_id, occurred_at="1900-02-28T16:00:00Z")

    online = registered.client.post("/agent/record", json={"records": [far]}, headers=headers)
    synced = registered.client.post("/agent/sync", json={"records": [old]}, headers=headers)

    assert online.status_code == 422, online.text
    assert online.json()["status"] == "refused"
    in_french = Translator("fr")("refusal.occurred_at_out_of_range")
    assert online.json()["reason"] == in_french
    [result] = synced.json()["results"]
    assert (result["status"], result["reason"]) == ("rejected", in_french)
    assert registered.published("distributions") == []


def test_flagged_duplicates_are_listed_for_the_coordinator(registered: ApiHarness) -> None:
    distribute(registered, "dist-amizmiz-002", MOHAMED.household_id)
    registered.post("agent", "/v1/distributions/batch", SYNC)
    registered.project_published()

    r = registered.get("coordinator", "/v1/distributions/duplicates", {"campaign_id": RAMADAN})

    assert r.status_code == 200, r.text
    late = {"site_id": SITE, "quantity": 1, "occurred_at": "2026-02-28T15:00:00Z",
            "status": "duplicate", "campaign_id": RAMADAN, "item_id": "ramadan-basket",
            "flag": "beyond_entitlement"}  # fmt: skip
    assert sorted(r.json()["items"], key=lambda d: d["distribution_id"]) == [
        # Fatima's second record of the batch, after her first
        {"distribution_id": "off-002", **late, "first_distribution_id": "off-001",
         "first_site_id": SITE, "first_occurred_at": "2026-02-28T15:00:00Z"},
        # Mohamed's, served online this morning
        {"distribution_id": "off-003", **late, "first_distribution_id": "dist-amizmiz-002",
         "first_site_id": SITE, "first_occurred_at": "2026-03-01T10:00:00Z"},
        # Khadija's, handed before the campaign's first day
        {"distribution_id": "off-007", **late, "occurred_at": "2026-02-10T09:00:00Z",
         "flag": "outside_campaign", "first_distribution_id": "off-007",
         "first_site_id": None, "first_occurred_at": None},
    ]  # fmt: skip
    assert registered.get("agent", "/v1/distributions/duplicates").status_code == 403


# ---- coverage ----------------------------------------------------------------------------------


def serve_ramadan(api: ApiHarness) -> None:
    """Fatima and Mohamed (Al Haouz) get their basket; Fatima's late duplicate is flagged."""
    distribute(api, "dist-amizmiz-001", FATIMA.household_id)
    distribute(api, "dist-amizmiz-002", MOHAMED.household_id)
    synced = api.post("agent", "/v1/distributions/batch",
                      {"records": [offline("off-001", FATIMA.household_id)]})  # fmt: skip
    assert synced.json()["results"][0]["status"] == "duplicate"
    api.project_published()


def test_coverage_counts_eligible_and_reached_households_and_baskets_by_province(
    registered: ApiHarness,
) -> None:
    serve_ramadan(registered)

    assert coverage(registered) == {
        "campaign_id": RAMADAN,
        "eligible_households": 3,
        "entitled_quantity": 3,
        "reached_households": 2,
        "quantity": 2,
        "by_area": [
            {"region_code": "MA07", "province_code": "MA0701", "eligible_households": 2,
             "entitled_quantity": 2, "reached_households": 2, "quantity": 2},
            {"region_code": "MA07", "province_code": "MA0706", "eligible_households": 1,
             "entitled_quantity": 1, "reached_households": 0, "quantity": 0},
        ],
        # each household of five: Fatima's children, Mohamed elderly, Khadija's women
        "by_group": [
            {"target_group": "children", "eligible_households": 1, "eligible_people": 5,
             "reached_households": 1, "reached_people": 5},
            {"target_group": "elderly", "eligible_households": 1, "eligible_people": 5,
             "reached_households": 1, "reached_people": 5},
            {"target_group": "women", "eligible_households": 1, "eligible_people": 5,
             "reached_households": 0, "reached_people": 0},
        ],
    }  # fmt: skip


def test_the_coverage_page_shows_households_and_people_per_target_group(
    registered: ApiHarness,
) -> None:
    serve_ramadan(registered)
    registered.create_user("coord.groups", "coordinator", password=PASSWORD)
    sign_in(registered, "coordinator", username="coord.groups", password=PASSWORD)

    page = registered.client.get(f"/coordinator/coverage?campaign_id={RAMADAN}").text

    groups = page[page.index('class="by-group"') : page.index("</table>", page.index("by-group"))]
    assert "Par groupe cible" in groups
    rows = re.findall(r"<tr><td>([^<]+)</td>((?:<td class=\"num\">[^<]+</td>)+)</tr>", groups)
    assert [(name, re.findall(r">([^<]+)<", cells)) for name, cells in rows] == [
        ("enfants", ["1", "5", "1", "5"]),
        ("personnes âgées", ["1", "5", "1", "5"]),
        ("femmes en difficulté", ["1", "5", "0", "0"]),
    ]


# ---- privacy -----------------------------------------------------------------------------------


def secrets() -> list[str]:
    return [s for person in EVERYONE for s in person.secrets]


@pytest.mark.parametrize(
    ("area", "field", "reason"),
    [
        ({"region_code": "MA99", "province_code": None}, "region_code", "unknown_region"),
        ({"province_code": "MA0799"}, "province_code", "unknown_province"),
    ],
)
def test_a_household_of_an_area_no_location_carries_is_a_422_naming_the_field(
    api: ApiHarness, area: dict[str, Any], field: str, reason: str
) -> None:
    """As the import refuses a line of an `unknown_region` (or `unknown_province`)."""
    r = api.post("coordinator", "/v1/households", FATIMA.body(**area))

    assert (error_of(r, 422, "invalid_request")["field"], r.json()["reason"]) == (field, reason)
    assert leaks(r.text) == [] and "MA99" not in r.text
    assert api.published("households") == []


def leaks(text: str) -> list[str]:
    """The secrets found in a text, whatever their case."""
    return [s for s in secrets() if s.lower() in text.lower()]


def read_model_rows(api: ApiHarness) -> dict[str, list[str]]:
    """Every row of every table of the read model, as text."""
    metadata = MetaData()
    metadata.reflect(api.engine)
    tables = inspect(api.engine).get_table_names()
    with api.engine.connect() as conn:
        return {
            name: [repr(tuple(row)) for row in conn.execute(select(metadata.tables[name]))]
            for name in tables
        }


def test_no_identifier_name_or_phone_reaches_the_log_the_read_model_or_the_api_logs(
    api: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for person in EVERYONE:
        assert api.post("agent", "/v1/households", person.body()).status_code == 201
    api.project_published()
    api.post("agent", "/v1/households/lookup", {"national_id": "BE123456"})
    api.post("agent", "/v1/households/lookup", {"registry_number": "RSU-2024-000342"})
    online = api.post("agent", "/v1/distributions",
                      by_cin(basket("dist-amizmiz-002", ""), "EE482913"))  # fmt: skip
    synced = api.post("agent", "/v1/distributions/batch", {"records": [
        by_cin(offline("off-001", ""), "BE123456"), by_cin(offline("off-002", ""), "EE482913"),
    ]})  # fmt: skip
    api.project_published()

    assert online.status_code == 201, online.text
    assert [r["status"] for r in synced.json()["results"]] == ["accepted", "duplicate"]
    envelopes = api.published()
    assert {e.type for e in envelopes} >= {"HouseholdRegistered", "AidDistributed"}
    assert [leaks(encode(e).decode()) for e in envelopes] == [[]] * len(envelopes)
    rows = read_model_rows(api)
    assert len(rows["households"]) == 4 and len(rows["distributions"]) == 3
    assert {table: leaks("\n".join(r)) for table, r in rows.items()} == {t: [] for t in rows}
    assert any("/v1/households" in record.getMessage() for record in caplog.records)
    assert leaks(caplog.text + "\n".join(r.getMessage() for r in caplog.records)) == []


# ---- erasure -----------------------------------------------------------------------------------


def registry_counts(api: ApiHarness) -> dict[str, int]:
    rows = read_model_rows(api)
    return {"households": len(rows["households"]), "distributions": len(rows["distributions"])}


def test_erasing_a_household_forgets_the_person_and_keeps_the_statistics(
    registered: ApiHarness,
) -> None:
    serve_ramadan(registered)
    personal = registered.app.state.services.personal
    [sealed] = [e.data["sealed_personal_data"] for e in registered.published("households")
                if e.data["household_id"] == FATIMA.household_id]  # fmt: skip
    assert personal.open(FATIMA.household_id, sealed)["head_name"] == FATIMA.head_name
    statistics = coverage(registered), eligibility(registered, FATIMA.household_id)
    counts = registry_counts(registered)

    r = registered.client.delete(
        f"/v1/households/{FATIMA.household_id}/personal-data", headers=registered.headers("admin")
    )
    registered.project_published()

    assert r.status_code == 200, r.text
    assert (r.json()["erased"], r.json()["personal"]) == (True, None)
    shown = registered.get("admin", f"/v1/households/{FATIMA.household_id}").json()
    assert (shown["erased"], shown["personal"]) == (True, None)
    assert FATIMA.head_name not in str(shown)
    assert personal.open(FATIMA.household_id, sealed) is None
    assert registered.published("households")[-1].type == "PersonalDataErased"
    assert (coverage(registered), eligibility(registered, FATIMA.household_id)) == statistics
    assert registry_counts(registered) == counts
    # the others are untouched
    other = registered.get("agent", f"/v1/households/{MOHAMED.household_id}").json()
    assert other["personal"]["head_name"] == MOHAMED.head_name


def test_after_erasure_nothing_links_the_person_to_the_household_and_they_may_register_again(
    registered: ApiHarness,
) -> None:
    serve_ramadan(registered)
    erase = f"/v1/households/{FATIMA.household_id}/personal-data"
    assert registered.client.delete(erase, headers=registered.headers("admin")).status_code == 200
    registered.project_published()

    found = registered.post("agent", "/v1/households/lookup", {"national_id": FATIMA.national_id})
    again = registered.post("agent", "/v1/households", FATIMA.body(id="hh-amizmiz-101"))
    registered.project_published()
    same_id = registered.post("agent", "/v1/households", FATIMA.body())
    erased_twice = registered.client.delete(erase, headers=registered.headers("admin"))

    assert found.status_code == 404, found.text  # not the erased household
    assert again.status_code == 201, again.text  # a new household, not a 409 naming the old
    assert FATIMA.household_id not in again.text
    now_found = registered.post(
        "agent", "/v1/households/lookup", {"national_id": FATIMA.national_id}
    )
    assert now_found.json()["id"] == "hh-amizmiz-101"
    assert error_of(same_id, 409, "already_exists")  # the erased id is not reused
    assert erased_twice.status_code == 200 and erased_twice.json()["erased"] is True
    with registered.engine.connect() as conn:
        row = conn.execute(
            select(households).where(households.c.household_id == FATIMA.household_id)
        ).one()
    assert (row.identity, row.national_id_pseudonym, row.registry_pseudonym) == (None,) * 3
    assert row.sealed_personal_data is None
    # Her Ramadan basket still counts (erasure is no way to a second one), but the refusal
    # names nothing of the erased household's records.
    second = registered.post("agent", "/v1/distributions", basket("dist-x", "hh-amizmiz-101"))
    assert error_of(second, 409, "already_received")["first_distribution_id"] is None
    assert "dist-amizmiz-001" not in second.text and "site-al-haouz" not in second.text


@pytest.mark.parametrize("role", ["coordinator", "agent", "operator", "donor", "auditor"])
def test_only_an_admin_may_erase_a_household(registered: ApiHarness, role: str) -> None:
    before = len(registered.published())

    r = registered.client.delete(
        f"/v1/households/{FATIMA.household_id}/personal-data", headers=registered.headers(role)
    )

    assert error_of(r, 403, "forbidden")["permission"] == "households.erase"
    assert len(registered.published()) == before
    shown = registered.get("admin", f"/v1/households/{FATIMA.household_id}").json()
    assert shown["personal"]["head_name"] == FATIMA.head_name


def test_a_refused_registration_never_destroys_the_key_of_the_household_whose_id_it_tried(
    api: ApiHarness,
) -> None:
    """The read model lags: Fatima (already registered) tries Mohamed's household id before
    either registration is projected. Her refusal used to delete the key under that id,
    which was Mohamed's: his name and CIN could never be read again."""
    assert api.post("agent", "/v1/households", FATIMA.body()).status_code == 201
    assert api.post("agent", "/v1/households", MOHAMED.body()).status_code == 201

    again = api.post("agent", "/v1/households", FATIMA.body(id=MOHAMED.household_id))
    api.project_published()

    assert again.status_code == 409, again.text  # her own household, or the id taken
    seen = api.get("agent", f"/v1/households/{MOHAMED.household_id}").json()
    assert seen["personal"]["head_name"] == MOHAMED.head_name
    assert seen["personal"]["national_id"] == MOHAMED.national_id


def test_a_refused_registration_under_a_fresh_id_leaves_no_key_behind(api: ApiHarness) -> None:
    assert api.post("agent", "/v1/households", FATIMA.body()).status_code == 201
    api.project_published()
    ports = api.app.state.services

    again = api.post("agent", "/v1/households", FATIMA.body(id="hh-amizmiz-999"))

    assert again.status_code == 409
    assert ports.personal.keys.get("hh-amizmiz-999") is None
    assert ports.personal.keys.get(FATIMA.household_id) is not None


def test_two_people_under_one_household_id_are_never_both_registered(api: ApiHarness) -> None:
    """The read model lags: Mohamed's registration under Fatima's id, made before hers is
    projected, used to be accepted too (each person has their own writer), so two people
    shared one household id and one of them could no longer be read. The key store now
    gives an id one owner in one statement."""
    assert api.post("agent", "/v1/households", FATIMA.body()).status_code == 201

    taken = api.post("agent", "/v1/households", MOHAMED.body(id=FATIMA.household_id))
    api.project_published()

    error_of(taken, 409, "already_exists")
    assert [e.type for e in api.published("households")] == ["HouseholdRegistered"]
    seen = api.get("agent", f"/v1/households/{FATIMA.household_id}").json()
    assert seen["personal"]["head_name"] == FATIMA.head_name


def test_an_id_given_up_by_a_refused_registration_is_free_for_someone_else(
    api: ApiHarness,
) -> None:
    assert api.post("agent", "/v1/households", FATIMA.body()).status_code == 201

    refused = api.post("agent", "/v1/households", FATIMA.body(id="hh-amizmiz-999"))
    mohamed = api.post("agent", "/v1/households", MOHAMED.body(id="hh-amizmiz-999"))
    api.project_published()

    error_of(refused, 409, "already_registered")
    assert mohamed.status_code == 201, mohamed.text
    seen = api.get("agent", "/v1/households/hh-amizmiz-999").json()
    assert seen["personal"]["national_id"] == MOHAMED.national_id
