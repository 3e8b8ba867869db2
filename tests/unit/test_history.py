"""The auditor's history: every event about a subject, in order, with who, when and in which
flow; a household's history names no person and carries no pseudonym."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from api.ui.i18n import LOCAL_TIME
from events.households import (
    AidDistributed,
    CampaignOpened,
    HouseholdCardIssued,
    HouseholdRegistered,
)
from events.stock import TransferDispatched, TransferLine
from events.users import PersonalDataRead, UserCreated
from projections.history import HIDDEN, SUBJECT_FIELDS, facts, subjects
from services.domain.privacy import pseudonym
from tests.support.api import ApiHarness
from tests.unit.test_serialization import SAMPLES

CASABLANCA, MARRAKECH = "wh-casablanca", "wh-marrakech"


def test_a_transfer_is_in_the_history_of_both_its_ends() -> None:
    sent = TransferDispatched(
        transfer_id="tr-1", from_location_id=CASABLANCA, to_location_id=MARRAKECH,
        lines=[TransferLine(item_id="flour-25kg", lot="L-1", quantity=5)],
    )  # fmt: skip
    assert subjects(sent) == [("location", CASABLANCA), ("location", MARRAKECH)]


def test_a_distribution_is_the_households_not_its_campaigns() -> None:
    given = AidDistributed(
        distribution_id="d-1", household_id="hh-1", identity="p" * 40,
        campaign_id="ramadan", site_id="site-asni", item_id="ramadan-basket", quantity=1,
        region_code="MA07", distributed_at="2026-03-01T10:00:00+00:00",
    )  # fmt: skip
    assert subjects(given) == [("household", "hh-1")]
    assert "identity" not in facts(given)


@pytest.mark.parametrize("type_name", list(SAMPLES))
def test_every_event_is_about_each_subject_field_it_carries(type_name: str) -> None:
    event = SAMPLES[type_name]
    data = event.model_dump()
    named = [
        (kind, data[name])
        for kind, names in SUBJECT_FIELDS.items()
        for name in names
        if isinstance(data.get(name), str)
    ]
    found = subjects(event)
    assert [s for s in found if s in named] == list(dict.fromkeys(named))
    assert len(found) == len(set(found))


def test_nothing_hidden_is_ever_in_the_facts() -> None:
    registered = HouseholdRegistered(
        household_id="hh-1", identity="p" * 40, national_id_pseudonym="n" * 40,
        registry_pseudonym="r" * 40, size=4, region_code="MA07",
        sealed_personal_data="sealed-bytes",
    )  # fmt: skip
    created = UserCreated(username="omar", role="auditor", token_hash="ab" * 32,
                          password_hash="$argon2id$x")  # fmt: skip
    assert not (set(facts(registered)) | set(facts(created))) & HIDDEN
    assert facts(registered)["size"] == 4
    assert subjects(created) == [("user", "omar")]
    read = PersonalDataRead(username="khadija", household_id="hh-1", via="lookup")
    assert subjects(read) == [("household", "hh-1"), ("user", "khadija")]


def test_a_household_card_is_in_its_history_without_the_check_that_would_copy_it() -> None:
    issued = HouseholdCardIssued(household_id="hh-1", identity="p" * 40, card_number=2,
                                 check="K7M4Q9TX")  # fmt: skip

    assert subjects(issued) == [("household", "hh-1")]
    assert facts(issued) == {"household_id": "hh-1", "card_number": 2}


# --- Over HTTP --------------------------------------------------------------------------------

CIN = "EE482913"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


def test_a_locations_history_shows_each_entry_and_its_void_with_actor_and_flow(
    api: ApiHarness,
) -> None:
    body = {"id": "rc-typo", "location_id": CASABLANCA, "item_id": "flour-25kg",
            "quantity": 1000, "lot": "L-1"}  # fmt: skip
    assert api.post("operator", "/v1/stock/receipts", body).status_code == 201
    api.project_published()
    voided = api.post("operator", "/v1/stock/receipts/rc-typo/void", {"reason": "typo"})
    assert voided.status_code == 201, voided.text
    api.project_published()

    paged, cursor = [], None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        r = api.get("auditor", f"/v1/history/location/{CASABLANCA}", params)
        assert r.status_code == 200, r.text
        paged += r.json()["items"]
        if not (cursor := r.json()["next"]):
            break

    everything = api.get("auditor", f"/v1/history/location/{CASABLANCA}").json()["items"]
    assert paged == everything
    assert [(e["type"], e["actor"], e["role"]) for e in everything] == [
        ("LocationRegistered", "system", "system"),
        ("StockReceived", "youssef.operator", "operator"),
        ("StockReceiptVoided", "youssef.operator", "operator"),
    ]
    receipt, void = everything[-2:]
    assert receipt["facts"]["quantity"] == 1000 and void["facts"]["reason"] == "typo"
    assert receipt["correlation_id"] != void["correlation_id"]


def test_a_households_history_names_no_person(api: ApiHarness) -> None:
    personal = api.app.state.services.personal
    personal.new_key("hh-017")
    sealed = personal.seal("hh-017", {"head_name": "Zahra Ouhammou", "national_id": CIN})
    identity = pseudonym(api.settings.pseudonym_key, "cin", CIN)
    api.apply(
        CampaignOpened(campaign_id="ramadan", name="Ramadan", item_id="ramadan-basket",
                       quantity_per_household=1, starts_on=date(2026, 2, 18),
                       ends_on=date(2026, 3, 31)),
        HouseholdRegistered(household_id="hh-017", identity=identity,
                            national_id_pseudonym=identity, size=5, region_code="MA07",
                            groups=[], sealed_personal_data=sealed),
    )  # fmt: skip
    looked = api.post("agent", "/v1/households/lookup", {"national_id": CIN})
    assert looked.status_code == 200, looked.text
    api.project_published()

    r = api.get("auditor", "/v1/history/household/hh-017")

    assert r.status_code == 200, r.text
    assert [e["type"] for e in r.json()["items"]] == ["HouseholdRegistered", "PersonalDataRead"]
    text = r.text
    for secret in (identity, sealed, CIN, "Zahra", "Ouhammou"):
        assert secret not in text
    campaign = api.get("auditor", "/v1/history/campaign/ramadan").json()["items"]
    assert [e["type"] for e in campaign] == ["CampaignOpened"]


def test_history_is_for_auditors_and_coordinators_of_known_kinds(api: ApiHarness) -> None:
    assert api.get("operator", f"/v1/history/location/{CASABLANCA}").status_code == 403
    assert api.get("coordinator", f"/v1/history/location/{CASABLANCA}").status_code == 200
    unknown = api.get("auditor", "/v1/history/planet/earth")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_kind")


def test_the_auditor_reads_a_locations_history_on_its_page(tmp_path: Path) -> None:
    with ApiHarness(tmp_path, auto_project=True) as api:
        api.create_user("omar.audit", "auditor", password="tajine-et-the-2026")
        signin = api.client.get("/signin").text
        csrf = signin.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        api.client.post("/signin", data={"csrf": csrf, "username": "omar.audit",
                                         "password": "tajine-et-the-2026"})  # fmt: skip
        body = {"id": "rc-1", "location_id": CASABLANCA, "item_id": "flour-25kg",
                "quantity": 40, "lot": "L-1"}  # fmt: skip
        assert api.post("operator", "/v1/stock/receipts", body).status_code == 201

        page = api.client.get(f"/auditor?kind=location&id={CASABLANCA}")

        assert page.status_code == 200, page.text
        assert '<a href="/auditor" aria-current="page">Historique</a>' in page.text
        assert "Historique : Lieu wh-casablanca" in page.text
        assert "StockReceived" in page.text and "youssef.operator" in page.text
        assert api.client.get("/auditor?kind=household&id=hh-none").status_code == 200


def test_the_auditor_sees_a_locations_stock_at_the_end_of_a_past_day_and_its_card(
    tmp_path: Path,
) -> None:
    with ApiHarness(tmp_path, auto_project=True) as api:
        api.create_user("omar.audit", "auditor", password="tajine-et-the-2026")
        signin = api.client.get("/signin").text
        csrf = signin.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        api.client.post("/signin", data={"csrf": csrf, "username": "omar.audit",
                                         "password": "tajine-et-the-2026"})  # fmt: skip
        body = {"id": "rc-1", "location_id": CASABLANCA, "item_id": "flour-25kg",
                "quantity": 40, "lot": "L-1"}  # fmt: skip
        assert api.post("operator", "/v1/stock/receipts", body).status_code == 201
        today = datetime.now(LOCAL_TIME).date()

        before = api.client.get(f"/auditor/stock?location_id={CASABLANCA}&on=2020-01-01")
        now = api.client.get(f"/auditor/stock?location_id={CASABLANCA}&on={today}")
        card = api.client.get(f"/auditor/card?location_id={CASABLANCA}&item_id=flour-25kg")

        assert before.status_code == now.status_code == card.status_code == 200
        assert "Entrepôt Casablanca à la fin du 1 jan. 2020" in before.text
        assert "L-1" not in before.text
        assert "L-1" in now.text and ">40<" in now.text
        assert f"/auditor/card?location_id={CASABLANCA}&amp;item_id=flour-25kg" in now.text
        assert "youssef.operator" in card.text and "/operator/card/void" not in card.text
