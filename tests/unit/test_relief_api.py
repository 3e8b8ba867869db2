"""Relief over HTTP as stories: donations traced to households, convoys, donor privacy, reports.

The real app through `ApiHarness` (real deciders, in-memory publisher, SQLite read model);
`project_published()` after writes, before reads. There is no worker, so after distributions
the stories run the distribution policy themselves (`consume_site_stock`), as the worker's
agent would: every AidDistributed becomes a ConsumeForDistribution for the site's stock.
The API's clock is pinned, so times are known and written literally; identities and names
are made up.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import events
from api import deps
from events.households import AidDistributed
from events.relief import ArrivedLine, DeploymentDeliveryAborted, DeploymentDeliveryStarted
from events.stock import TransferLine
from services.domain.policies.distributions import consume_stock
from services.domain.stock.commands import ConsumeForDistribution
from tests.support.api import SITE, ApiHarness

CASABLANCA, MARRAKECH, BASKETS = "wh-casablanca", "wh-marrakech", "ramadan-basket"
ATLAS, CROISSANT = "fondation-atlas", "croissant-rouge"
ATLAS_USER = "donor-atlas"  # a donor user scoped to the Fondation Atlas
QUAKE, CAMPAIGN, CONVOY = "op-seisme-al-haouz", "paniers-al-haouz", "dep-al-haouz-01"
GIFT, OTHER_GIFT = "don-atlas-2026-001", "don-croissant-2026-001"
HOUSEHOLDS = 350
FOUR_W_TAGS = {
    "#org", "#sector", "#activity", "#adm1+name", "#adm1+code", "#adm2+name", "#adm2+code",
    "#date+start", "#date+end", "#reached+hh", "#item+name", "#value",
}  # fmt: skip
FIRST_NAMES = ("Fatima", "Mohamed", "Khadija", "Youssef", "Aicha", "Brahim", "Zineb",
               "Lahcen", "Hafsa", "Mustapha", "Naima", "Abdellah", "Rachida", "Omar")  # fmt: skip
FAMILY_NAMES = ("Ait Lahcen", "Oubella", "Amzil", "Bouhou", "Idbelkas", "Ouzzine", "Akhiat",
                "Boutaleb", "Ait Ouarab", "Elkhatabi", "Oumouss", "Ajaaouan", "Bihi",
                "Ait Brahim", "Oukhouya", "Tahiri", "Aznag", "Boumzough", "Id Ali", "Ouchen",
                "Amrani", "Benaissa", "Ait Hssaine", "Oulad Ali", "Azilal")  # fmt: skip


@dataclass
class Clock:
    """The API's `now`, moved by a story so its writes carry known times."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


def march(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: Any, status: int, error: str) -> dict[str, Any]:
    body = ok(response, status)
    assert body["error"] == error, body
    assert body["message"]
    return body


# ---- the steps of a story ------------------------------------------------------------------


def pinned(api: ApiHarness, moment: datetime) -> Clock:
    clock = Clock(moment)
    api.app.dependency_overrides[deps.now] = clock
    return clock


def donors(api: ApiHarness, *names: tuple[str, str]) -> None:
    for donor_id, name in names:
        ok(api.post("coordinator", "/v1/donors", {"id": donor_id, "name": name}))
    api.project_published()


def donate(api: ApiHarness, gift: str, donor: str, at: str, quantity: int, **more: Any) -> None:
    body = {"id": gift, "donor_id": donor, "location_id": at, "item_id": BASKETS,
            "quantity": quantity} | more  # fmt: skip
    ok(api.post("coordinator", "/v1/donations", body))
    api.project_published()


def ship(api: ApiHarness, transfer: str, source: str, to: str, quantity: int) -> dict[str, Any]:
    body = {"id": transfer, "from_location_id": source, "to_location_id": to,
            "lines": [{"item_id": BASKETS, "quantity": quantity}]}  # fmt: skip
    answer = ok(api.post("admin", "/v1/stock/transfers", body))
    api.project_published()
    return answer


def arrive(api: ApiHarness, transfer: str, quantity: int) -> None:
    lines = [{"item_id": BASKETS, "quantity": quantity}]
    ok(api.post("admin", f"/v1/stock/transfers/{transfer}/receipt", {"lines": lines}))
    api.project_published()


def open_operation(api: ApiHarness) -> None:
    ok(api.post("coordinator", "/v1/operations", {
        "id": QUAKE, "name": "Séisme d'Al Haouz", "kind": "earthquake", "region_codes": ["MA07"],
    }))  # fmt: skip
    api.project_published()


def plan(api: ApiHarness, convoy: str, quantity: int, source: str = MARRAKECH) -> dict[str, Any]:
    body = {"id": convoy, "operation_id": QUAKE, "from_location_id": source,
            "to_location_id": SITE, "lines": [{"item_id": BASKETS, "quantity": quantity}],
            "expected_hours": 12}  # fmt: skip
    answer = ok(api.post("coordinator", "/v1/deployments", body))
    api.project_published()
    return answer


def step(api: ApiHarness, convoy: str, action: str, body: Any = None) -> Any:
    """Dispatch, deliver or cancel a convoy as the coordinator; the raw response."""
    return api.post("coordinator", f"/v1/deployments/{convoy}/{action}", body)


def delivered(quantity: int) -> dict[str, Any]:
    return {"lines": [{"item_id": BASKETS, "quantity": quantity}]}


def head_of(n: int) -> str:
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {FAMILY_NAMES[n // len(FIRST_NAMES)]}"


def register_households(api: ApiHarness, count: int) -> None:
    """Households of Al Haouz, each head with a distinct CIN (HA1000, HA1001…)."""
    for n in range(count):
        ok(api.post("agent", "/v1/households", {
            "id": f"hh-al-haouz-{n:03d}", "national_id": f"HA{1000 + n}", "head_name": head_of(n),
            "size": 3 + n % 5, "region_code": "MA07", "province_code": "MA0701",
            "groups": ["children"],
        }))  # fmt: skip
    api.project_published()


def open_campaign(api: ApiHarness) -> None:
    ok(api.post("coordinator", "/v1/campaigns", {
        "id": CAMPAIGN, "name": "Paniers Al Haouz", "item_id": BASKETS,
        "quantity_per_household": 1, "starts_on": "2026-03-01", "ends_on": "2026-03-31",
        "region_codes": ["MA07"], "operation_id": QUAKE,
    }))  # fmt: skip
    api.project_published()


def distribute(api: ApiHarness, count: int) -> None:
    """One basket to each of the first `count` households, at Amizmiz, then the site's stock."""
    for n in range(count):
        ok(api.post("agent", "/v1/distributions", {
            "id": f"dist-al-haouz-{n:03d}", "campaign_id": CAMPAIGN,
            "household_id": f"hh-al-haouz-{n:03d}", "site_id": SITE, "quantity": 1,
        }))  # fmt: skip
    api.project_published()
    consume_site_stock(api)


def consume_site_stock(api: ApiHarness) -> None:
    """The distribution policy, run as the worker's agent would run it on the log."""

    async def run() -> None:
        for published in api.published("distributions"):
            envelope, event = events.decode(events.encode(published))
            if isinstance(event, AidDistributed):
                _, command = consume_stock(event, envelope)
                await api.bus.send(ConsumeForDistribution.model_validate(command.data), command)

    asyncio.run(run())
    api.project_published()


# ---- reads ---------------------------------------------------------------------------------


def trace(api: ApiHarness, gift: str, who: str = "coordinator") -> dict[str, Any]:
    return ok(api.get(who, f"/v1/donations/{gift}/trace"), 200)


NOTHING_HANDED = {"quantity": 0, "households": 0, "by_region": [], "by_province": [],
                  "by_campaign": [], "by_month": []}  # fmt: skip


def adds_up(found: dict[str, Any]) -> bool:
    """The contract's parts alone (kits counted where they are) sum to `received`, in total
    and item by item."""
    stocked = sum(at["quantity"] for at in found["in_stock"])
    parts = stocked + found["in_transit"] + found["distributed"]["quantity"] + found["lost"]
    by_item = [i["in_stock"] + i["in_transit"] + i["distributed"] + i["lost"] - i["received"]
               for i in found.get("items", [])]  # fmt: skip
    return parts == found["received"] and not any(by_item)


def where(found: dict[str, Any]) -> dict[str, int]:
    return {at["location_id"]: at["quantity"] for at in found["in_stock"]}


def on_hand(api: ApiHarness, **params: Any) -> int:
    rows = ok(api.get("admin", "/v1/inventory", params), 200)["items"]
    return sum(int(r["on_hand"]) for r in rows)


def board(api: ApiHarness) -> dict[str, dict[str, Any]]:
    rows = ok(api.get("coordinator", "/v1/deployments", {"operation_id": QUAKE}), 200)["items"]
    return {row["id"]: row for row in rows}


def quantities(lines: list[dict[str, Any]] | None) -> dict[str, int] | None:
    return None if lines is None else {ln["item_id"]: ln["quantity"] for ln in lines}


def hxl(response: Any) -> tuple[list[str], list[str], list[dict[str, str]]]:
    """Human headers, hashtags, and the data rows keyed by hashtag."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    headers, tags, *rows = list(csv.reader(io.StringIO(response.text)))
    assert len(headers) == len(tags) and all(h and not h.startswith("#") for h in headers)
    assert all(t.startswith("#") for t in tags)
    return headers, tags, [dict(zip(tags, row, strict=True)) for row in rows]


def total(rows: list[dict[str, str]], tag: str) -> int:
    return sum(int(row[tag]) for row in rows)


# ---- the scripted scenario: the Fondation Atlas's 1,000 baskets ------------------------------
#   03-01 08:00  1,000 baskets given at Casablanca                 Casa 1000
#   03-01 09:00  600 sent to Marrakech, 15:00 all 600 received    Casa 400, Marrakech 600
#   03-02 06:00  convoy of 400 planned, 07:00 dispatched          Marrakech 200, in transit 400
#   03-02 16:30  380 arrive at Amizmiz, 20 lost on the road       Amizmiz 380, lost 20
#   03-03 10:00  350 baskets handed to 350 households             Amizmiz 30, distributed 350


@pytest.fixture(scope="module")
def quake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    """The scenario, run once for the stories that only read it."""
    with ApiHarness(tmp_path_factory.mktemp("quake")) as api:
        clock = pinned(api, march(1, 8))
        api.create_user(ATLAS_USER, "donor", donors=[ATLAS])
        donors(api, (ATLAS, "Fondation Atlas"), (CROISSANT, "Croissant-Rouge marocain"))
        donate(api, GIFT, ATLAS, CASABLANCA, 1000, lot="ATL-2026-A", expires_on="2026-12-31")
        donate(api, OTHER_GIFT, CROISSANT, MARRAKECH, 50, lot="CRM-2026-A",
               expires_on="2027-06-30")  # fmt: skip
        clock.moment = march(1, 9)
        ship(api, "tr-casa-marrakech-01", CASABLANCA, MARRAKECH, 600)
        clock.moment = march(1, 15)
        arrive(api, "tr-casa-marrakech-01", 600)
        open_operation(api)
        clock.moment = march(2, 6)
        plan(api, CONVOY, 400)
        clock.moment = march(2, 7)
        ok(step(api, CONVOY, "dispatch"), 200)
        api.project_published()
        clock.moment = march(2, 16, 30)
        ok(step(api, CONVOY, "deliver", delivered(380)), 200)
        api.project_published()
        open_campaign(api)
        register_households(api, HOUSEHOLDS)
        clock.moment = march(3, 10)
        distribute(api, HOUSEHOLDS)
        yield api


def test_the_atlas_baskets_are_traced_from_casablanca_to_350_households(
    quake: ApiHarness,
) -> None:
    found = trace(quake, GIFT)

    assert found == {
        "donation_id": GIFT,
        "received": 1000,
        "in_stock": [
            {"location_id": SITE, "quantity": 30, "in_kits": 0},
            {"location_id": CASABLANCA, "quantity": 400, "in_kits": 0},
            {"location_id": MARRAKECH, "quantity": 200, "in_kits": 0},
        ],
        "in_transit": 0,
        "distributed": {
            "quantity": 350,
            "households": 350,
            "by_region": [{"region_code": "MA07", "quantity": 350, "households": 350}],
            "by_province": [{"province_code": "MA0701", "quantity": 350, "households": 350}],
            "by_campaign": [{"campaign_id": CAMPAIGN, "quantity": 350, "households": 350}],
            "by_month": [{"month": "2026-03", "quantity": 350, "households": 350}],
        },
        "lost": 20,
        "in_kits": 0,
        "in_kits_in_transit": 0,
        "through_kits": {
            "lots": [],
            "units_handed": 0,
            "units_lost": 0,
            "kits_handed": NOTHING_HANDED,
        },
        "items": [
            {
                "item_id": BASKETS,
                "received": 1000,
                "in_stock": 630,
                "in_transit": 0,
                "distributed": 350,
                "lost": 20,
                "in_kits": 0,
                "in_kits_in_transit": 0,
                "through_kits": {"units_handed": 0, "units_lost": 0},
            },
        ],
    }
    assert adds_up(found)


def test_the_other_donors_baskets_in_marrakech_were_not_taken_by_anyone(quake: ApiHarness) -> None:
    found = trace(quake, OTHER_GIFT)

    assert (found["received"], where(found), found["in_transit"]) == (50, {MARRAKECH: 50}, 0)
    assert found["distributed"]["quantity"] == 0 and found["lost"] == 0
    assert adds_up(found)


# ---- donor privacy -------------------------------------------------------------------------


def test_a_donor_sees_where_its_own_gift_went(quake: ApiHarness) -> None:
    assert trace(quake, GIFT, who=ATLAS_USER) == trace(quake, GIFT)


def test_a_donor_may_not_see_another_donors_gift(quake: ApiHarness) -> None:
    r = quake.get(ATLAS_USER, f"/v1/donations/{OTHER_GIFT}/trace")

    assert r.status_code == 403, r.text
    assert r.json()["error"] and CROISSANT not in r.text and "50" not in r.text


def test_a_donor_lists_only_its_own_donations_and_itself(quake: ApiHarness) -> None:
    mine = ok(quake.get(ATLAS_USER, "/v1/donations"), 200)["items"]
    everyone = ok(quake.get("coordinator", "/v1/donations"), 200)["items"]
    listed = ok(quake.get(ATLAS_USER, "/v1/donors"), 200)["items"]

    assert [(d["donation_id"], d["donor_id"], d["quantity"]) for d in mine] == [(GIFT, ATLAS, 1000)]
    assert {d["donation_id"] for d in everyone} == {GIFT, OTHER_GIFT}
    assert [d["donor_id"] for d in listed] == [ATLAS]


def test_the_donations_listed_say_when_they_were_received_in_utc(quake: ApiHarness) -> None:
    listed = ok(quake.get("coordinator", "/v1/donations"), 200)["items"]

    assert listed and all(d["received_at"].endswith(("Z", "+00:00")) for d in listed), listed
    assert all(datetime.fromisoformat(d["received_at"]).utcoffset() == timedelta(0)
               for d in listed)  # fmt: skip


def test_nothing_in_a_trace_names_a_household(quake: ApiHarness) -> None:
    text = json.dumps(trace(quake, GIFT, who=ATLAS_USER))
    identities = {
        env.data["identity"] for env in quake.published("households") if "identity" in env.data
    }

    assert len(identities) == HOUSEHOLDS
    for n in range(HOUSEHOLDS):
        for secret in (f"hh-al-haouz-{n:03d}", f"HA{1000 + n}", head_of(n)):
            assert secret not in text
    assert not any(identity in text for identity in identities)
    assert "dist-al-haouz" not in text  # nor a distribution, which would lead to one


# ---- reports -------------------------------------------------------------------------------


def test_the_4w_of_the_operation_is_hxl_and_matches_the_registry(quake: ApiHarness) -> None:
    coverage = ok(quake.get("coordinator", f"/v1/campaigns/{CAMPAIGN}/coverage"), 200)

    report = quake.get("coordinator", "/v1/reports/4w.csv", {"operation_id": QUAKE})

    headers, tags, rows = hxl(report)
    assert headers[0] == "Organisation" and set(tags) >= FOUR_W_TAGS
    campaign = [r for r in rows if r["#sector"] == "Food Security"]
    convoys = [r for r in rows if r["#sector"] == "Emergency Relief"]
    assert total(campaign, "#reached+hh") == coverage["reached_households"] == HOUSEHOLDS
    assert total(campaign, "#value") == coverage["quantity"] == 350
    areas = {(r["#adm1+code"], r["#adm1+name"], r["#adm2+code"], r["#adm2+name"]) for r in campaign}
    assert areas == {("MA07", "Marrakech-Safi", "MA0701", "Al Haouz")}
    assert [(r["#date+start"], r["#date+end"]) for r in campaign] == [("2026-03-01", "2026-03-31")]
    [convoy] = convoys
    assert CONVOY in convoy["#activity"]
    assert (convoy["#adm1+code"], convoy["#adm2+code"]) == ("MA07", "MA0701")
    assert convoy["#value"] == "380" and convoy["#reached+hh"] == "0"
    assert (convoy["#date+start"], convoy["#date+end"]) == ("2026-03-02", "2026-03-02")
    assert convoy["#item+name"] == "Panier alimentaire Ramadan"


def test_the_4w_of_the_campaign_alone_has_no_convoy(quake: ApiHarness) -> None:
    _, _, rows = hxl(quake.get("coordinator", "/v1/reports/4w.csv", {"campaign_id": CAMPAIGN}))

    assert {r["#sector"] for r in rows} == {"Food Security"}
    assert total(rows, "#reached+hh") == HOUSEHOLDS


def test_the_distributions_report_counts_every_distribution(quake: ApiHarness) -> None:
    accepted = [e for e in quake.published("distributions") if e.type == "AidDistributed"]
    coverage = ok(quake.get("auditor", f"/v1/campaigns/{CAMPAIGN}/coverage"), 200)

    _, tags, rows = hxl(quake.get("auditor", "/v1/reports/distributions.csv"))

    assert {"#activity+code", "#adm1+code", "#date", "#reached+hh", "#value"} <= set(tags)
    assert total(rows, "#value") == len(accepted) == coverage["quantity"] == 350
    assert total(rows, "#reached+hh") == coverage["reached_households"] == 350
    assert {(r["#activity+code"], r["#loc+code"], r["#date"]) for r in rows} == {
        (CAMPAIGN, SITE, "2026-03-03")
    }


def test_the_stock_report_matches_the_inventory(quake: ApiHarness) -> None:
    _, tags, rows = hxl(quake.get("admin", "/v1/reports/stock.csv"))

    assert {"#loc+code", "#adm1+code", "#item+name", "#item+batch", "#value"} <= set(tags)
    assert total(rows, "#value") == on_hand(quake) == 400 + 200 + 50 + 30
    for location in (CASABLANCA, MARRAKECH, SITE):
        mine = [r for r in rows if r["#loc+code"] == location]
        assert total(mine, "#value") == on_hand(quake, location_id=location)


def test_a_4w_needs_an_operation_or_a_campaign_that_exists(quake: ApiHarness) -> None:
    nothing = quake.get("coordinator", "/v1/reports/4w.csv")
    unknown = quake.get("coordinator", "/v1/reports/4w.csv", {"operation_id": "op-nowhere"})

    assert nothing.status_code == 422, nothing.text
    assert "operation_id" in nothing.text
    error_of(unknown, 404, "unknown_operation")


@pytest.mark.parametrize("who", ["donor", ATLAS_USER, "operator", "agent"])
@pytest.mark.parametrize(
    "report", ["4w.csv?operation_id=" + QUAKE, "distributions.csv", "stock.csv"]
)
def test_reports_are_not_for_donors_operators_or_agents(
    quake: ApiHarness, who: str, report: str
) -> None:
    r = quake.client.get(f"/v1/reports/{report}", headers=quake.headers(who))

    assert r.status_code == 403, r.text


# ---- two donors' lots in one warehouse, picked FEFO ------------------------------------------


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


def test_two_donors_mixed_in_marrakech_are_traced_apart_through_fefo(api: ApiHarness) -> None:
    clock = pinned(api, march(1, 8))
    donors(api, (ATLAS, "Fondation Atlas"), (CROISSANT, "Croissant-Rouge marocain"))
    # B arrives first but keeps longer: FEFO takes A first all the same.
    donate(api, "don-b", CROISSANT, MARRAKECH, 500, lot="LOT-B", expires_on="2026-12-31")
    donate(api, "don-a", ATLAS, MARRAKECH, 300, lot="LOT-A", expires_on="2026-06-30")
    clock.moment = march(2, 9)

    sent = ship(api, "tr-mk-casa-01", MARRAKECH, CASABLANCA, 450)

    [event] = sent["events"]
    assert [(ln["lot"], ln["donation_id"], ln["quantity"]) for ln in event["data"]["lines"]] == [
        ("LOT-A", "don-a", 300),
        ("LOT-B", "don-b", 150),
    ]
    a, b = trace(api, "don-a"), trace(api, "don-b")
    assert (a["received"], a["in_transit"], where(a)) == (300, 300, {})
    assert (b["received"], b["in_transit"], where(b)) == (500, 150, {MARRAKECH: 350})
    assert adds_up(a) and adds_up(b)

    clock.moment = march(2, 17)
    arrive(api, "tr-mk-casa-01", 450)

    a, b = trace(api, "don-a"), trace(api, "don-b")
    assert (a["in_transit"], where(a), a["lost"]) == (0, {CASABLANCA: 300}, 0)
    assert (b["in_transit"], where(b), b["lost"]) == (0, {CASABLANCA: 150, MARRAKECH: 350}, 0)
    assert adds_up(a) and adds_up(b)


# ---- deployments ---------------------------------------------------------------------------


@pytest.fixture
def convoy_ready(api: ApiHarness) -> Clock:
    """500 baskets at Marrakech, the earthquake operation open, a convoy of 400 planned."""
    clock = pinned(api, march(1, 8))
    donors(api, (ATLAS, "Fondation Atlas"))
    donate(api, GIFT, ATLAS, MARRAKECH, 500, lot="ATL-2026-A", expires_on="2026-12-31")
    open_operation(api)
    clock.moment = march(2, 6)
    plan(api, CONVOY, 400)
    clock.moment = march(2, 7)
    return clock


def dispatches(api: ApiHarness) -> list[str]:
    return [e.type for e in api.published("stock") if e.type == "TransferDispatched"]


def test_dispatching_a_convoy_twice_is_refused_and_moves_the_stock_once(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    ok(step(api, CONVOY, "dispatch"), 200)
    at_once = step(api, CONVOY, "dispatch")  # before the board has caught up
    api.project_published()
    later = step(api, CONVOY, "dispatch")
    api.project_published()

    error_of(at_once, 409, "deployment_dispatched")
    error_of(later, 409, "deployment_dispatched")
    assert on_hand(api, location_id=MARRAKECH) == 100
    assert len(dispatches(api)) == 1
    assert [e.type for e in api.published("deployments")].count("DeploymentDispatched") == 1
    assert trace(api, GIFT)["in_transit"] == 400


def test_a_transfer_cannot_borrow_a_convoys_id_nor_receive_its_stock(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    ok(step(api, CONVOY, "dispatch"), 200)
    api.project_published()
    body = {"id": CONVOY, "from_location_id": CASABLANCA, "to_location_id": SITE,
            "lines": [{"item_id": BASKETS, "quantity": 1}]}  # fmt: skip

    borrowed = api.post("admin", "/v1/stock/transfers", body)
    received = api.post(
        "admin",
        f"/v1/stock/transfers/{CONVOY}/receipt",
        {"lines": [{"item_id": BASKETS, "quantity": 400}]},
    )
    api.project_published()

    error_of(borrowed, 409, "already_exists")
    error_of(received, 409, "convoy_transfer")
    assert board(api)[CONVOY]["status"] == "dispatched"
    assert on_hand(api, location_id=SITE) == 0


def test_a_convoy_named_like_an_earlier_transfer_is_not_marked_dispatched_by_it(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    plan(api, "tr-quake-1", 100)
    ship(api, "tr-quake-1", MARRAKECH, SITE, 5)

    answer = step(api, "tr-quake-1", "dispatch")
    api.project_published()

    error_of(answer, 409, "transfer_id_taken")
    assert board(api)["tr-quake-1"]["status"] == "planned"
    assert on_hand(api, location_id=MARRAKECH) == 495
    assert len(dispatches(api)) == 1


def test_a_cancelled_convoy_cannot_be_delivered(api: ApiHarness, convoy_ready: Clock) -> None:
    cancelled = step(api, CONVOY, "cancel", {"reason": "route de Tizi n'Test coupée"})
    api.project_published()

    assert [e["type"] for e in ok(cancelled, 200)["events"]] == ["DeploymentCancelled"]
    error_of(step(api, CONVOY, "deliver", delivered(400)), 409, "deployment_cancelled")
    error_of(step(api, CONVOY, "dispatch"), 409, "deployment_cancelled")
    assert board(api)[CONVOY]["status"] == "cancelled"
    assert on_hand(api, location_id=MARRAKECH) == 500 and on_hand(api, location_id=SITE) == 0


def test_a_convoy_on_the_road_cannot_be_cancelled(api: ApiHarness, convoy_ready: Clock) -> None:
    ok(step(api, CONVOY, "dispatch"), 200)
    api.project_published()

    error_of(step(api, CONVOY, "cancel"), 409, "deployment_dispatched")
    api.project_published()
    assert board(api)[CONVOY]["status"] == "dispatched"


def test_a_convoy_bigger_than_the_warehouse_holds_is_refused(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    plan(api, "dep-al-haouz-02", 600)

    body = error_of(step(api, "dep-al-haouz-02", "dispatch"), 409, "insufficient_stock")
    api.project_published()

    assert body["message"]
    assert on_hand(api, location_id=MARRAKECH) == 500
    assert dispatches(api) == []
    assert board(api)["dep-al-haouz-02"]["status"] == "planned"


def test_delivering_a_convoy_still_planned_is_refused(api: ApiHarness, convoy_ready: Clock) -> None:
    error_of(step(api, CONVOY, "deliver", delivered(400)), 409, "deployment_planned")


def test_an_unknown_convoy_is_404(api: ApiHarness, convoy_ready: Clock) -> None:
    for action in ("dispatch", "cancel"):
        error_of(step(api, "dep-ghost", action), 404, "unknown_deployment")
    error_of(step(api, "dep-ghost", "deliver", delivered(1)), 404, "unknown_deployment")


def test_the_board_follows_each_convoy_with_its_quantities_and_time_on_the_road(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    plan(api, "dep-al-haouz-02", 50)
    plan(api, "dep-al-haouz-03", 30)
    ok(step(api, CONVOY, "dispatch"), 200)
    ok(step(api, "dep-al-haouz-02", "dispatch"), 200)
    api.project_published()
    convoy_ready.moment = march(2, 16, 30)
    ok(step(api, CONVOY, "deliver", delivered(380)), 200)
    api.project_published()
    convoy_ready.moment = march(2, 22)  # the second convoy is 15 hours on the road: overdue

    shown = board(api)

    assert {k: (v["status"], quantities(v["planned"]), quantities(v["dispatched"]),
                quantities(v["delivered"]), v["hours_in_transit"], v["overdue"])
            for k, v in shown.items()} == {
        CONVOY: ("delivered", {BASKETS: 400}, {BASKETS: 400}, {BASKETS: 380}, 9.5, False),
        "dep-al-haouz-02": ("dispatched", {BASKETS: 50}, {BASKETS: 50}, None, 15.0, True),
        "dep-al-haouz-03": ("planned", {BASKETS: 30}, None, None, None, False),
    }  # fmt: skip
    first = shown[CONVOY]
    assert (first["operation_id"], first["from_location_id"], first["to_location_id"]) == (
        QUAKE, MARRAKECH, SITE,
    )  # fmt: skip
    assert datetime.fromisoformat(first["dispatched_at"]) == march(2, 7)
    assert datetime.fromisoformat(first["delivered_at"]) == march(2, 16, 30)
    assert on_hand(api, location_id=SITE) == 380 and on_hand(api, location_id=MARRAKECH) == 50


def test_a_convoy_short_on_arrival_raises_a_transfer_discrepancy(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    ok(step(api, CONVOY, "dispatch"), 200)
    api.project_published()
    convoy_ready.moment = march(2, 16, 30)
    ok(step(api, CONVOY, "deliver", delivered(380)), 200)
    api.project_published()

    found = ok(api.get("coordinator", "/v1/alerts", {"kind": "transfer_discrepancy"}), 200)

    [alert] = found["items"]
    assert (alert["location_id"], alert["item_id"]) == (SITE, BASKETS)
    assert alert["details"]["transfer_id"] == CONVOY and alert["details"]["missing"] == 20
    assert alert["details"]["from_location_id"] == MARRAKECH
    assert "20 missing" in alert["message"]
    gift = trace(api, GIFT)
    assert (gift["lost"], gift["in_transit"], where(gift)) == (20, 0, {MARRAKECH: 100, SITE: 380})
    assert adds_up(gift)


def test_planning_the_same_convoy_again_writes_nothing_and_another_plan_is_refused(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    before = len(api.published("deployments"))
    body = {"id": CONVOY, "operation_id": QUAKE, "from_location_id": MARRAKECH,
            "to_location_id": SITE, "lines": [{"item_id": BASKETS, "quantity": 400}],
            "expected_hours": 12}  # fmt: skip

    again = api.post("coordinator", "/v1/deployments", body)
    other = api.post("coordinator", "/v1/deployments", body | {"expected_hours": 24})

    assert ok(again, 200)["id"] == CONVOY
    error_of(other, 409, "already_exists")
    assert len(api.published("deployments")) == before


def test_a_convoy_refused_for_lack_of_stock_leaves_once_the_stock_has_arrived(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    plan(api, "dep-al-haouz-02", 600)
    error_of(step(api, "dep-al-haouz-02", "dispatch"), 409, "insufficient_stock")
    donate(api, "don-atlas-2026-002", ATLAS, MARRAKECH, 200, lot="ATL-2026-B")

    left = step(api, "dep-al-haouz-02", "dispatch")
    api.project_published()

    assert [e["type"] for e in ok(left, 200)["events"]] == [
        "DeploymentDispatchStarted", "TransferDispatched", "DeploymentDispatched",
    ]  # fmt: skip
    assert on_hand(api, location_id=MARRAKECH) == 100


def test_a_convoy_cancelled_a_moment_ago_does_not_take_stock_when_dispatched(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    ok(step(api, CONVOY, "cancel"), 200)
    late = step(api, CONVOY, "dispatch")  # the board has not caught up with the cancellation
    api.project_published()

    error_of(late, 409, "deployment_cancelled")
    assert dispatches(api) == []
    assert on_hand(api, location_id=MARRAKECH) == 500


def test_a_convoy_cannot_deliver_more_than_it_carried(api: ApiHarness, convoy_ready: Clock) -> None:
    ok(step(api, CONVOY, "dispatch"), 200)
    api.project_published()

    too_many = step(api, CONVOY, "deliver", delivered(420))
    api.project_published()

    assert too_many.status_code == 422, too_many.text
    assert board(api)[CONVOY]["status"] == "dispatched"
    assert on_hand(api, location_id=SITE) == 0


def test_a_delivery_answers_with_the_sites_receipt_and_the_convoy_delivered(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    ok(step(api, CONVOY, "dispatch"), 200)
    api.project_published()

    arrived = ok(step(api, CONVOY, "deliver", delivered(380)), 200)
    api.project_published()

    assert [e["type"] for e in arrived["events"]] == [
        "TransferReceived", "TransferDiscrepancyRecorded", "DeploymentDelivered",
    ]  # fmt: skip
    assert [e.type for e in api.published("deployments")][-2:] == [
        "DeploymentDeliveryStarted", "DeploymentDelivered",
    ]  # fmt: skip
    error_of(step(api, CONVOY, "deliver", delivered(380)), 409, "deployment_delivered")
    assert on_hand(api, location_id=SITE) == 380


def test_a_delivery_the_site_rejects_puts_the_convoy_back_on_the_road_to_be_delivered_again(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    ok(step(api, CONVOY, "dispatch"), 200)
    api.project_published()

    body = error_of(step(api, CONVOY, "deliver", delivered(420)), 422, "more_than_dispatched")
    api.project_published()
    again = step(api, CONVOY, "deliver", delivered(400))
    api.project_published()

    assert body["dispatched"] == 400
    assert [e.type for e in api.published("deployments")][-4:] == [
        "DeploymentDeliveryStarted", "DeploymentDeliveryAborted",
        "DeploymentDeliveryStarted", "DeploymentDelivered",
    ]  # fmt: skip
    ok(again, 200)
    assert board(api)[CONVOY]["status"] == "delivered"
    assert on_hand(api, location_id=SITE) == 400


def test_the_board_shows_a_convoy_being_unloaded_as_delivering(
    api: ApiHarness, convoy_ready: Clock
) -> None:
    ok(step(api, CONVOY, "dispatch"), 200)
    api.project_published()
    lots = [TransferLine(item_id=BASKETS, lot="ATL-2026-A", quantity=400)]
    unloading = DeploymentDeliveryStarted(
        deployment_id=CONVOY, from_location_id=MARRAKECH, to_location_id=SITE,
        dispatched=lots, arrived=[ArrivedLine(item_id=BASKETS, quantity=400)],
    )  # fmt: skip

    api.apply(unloading)  # recorded, its policy not run yet
    shown = board(api)[CONVOY]["status"]
    api.apply(DeploymentDeliveryAborted(deployment_id=CONVOY, reason="wrong count"))

    assert (shown, board(api)[CONVOY]["status"]) == ("delivering", "dispatched")
    assert on_hand(api, location_id=SITE) == 0


def test_a_receipt_names_only_a_donation_of_its_own_item_and_location(api: ApiHarness) -> None:
    """Else an operator could swell another donor's trace with stock it never gave."""
    donors(api, (ATLAS, "Fondation Atlas"))
    donate(api, GIFT, ATLAS, CASABLANCA, 100, lot="ATL-2026-A")
    receipt = {"location_id": MARRAKECH, "item_id": BASKETS, "quantity": 40, "lot": "X1"}

    unknown = api.post("admin", "/v1/stock/receipts", receipt | {"donation_id": "don-nobody"})
    elsewhere = api.post("admin", "/v1/stock/receipts", receipt | {"donation_id": GIFT})
    flour = receipt | {"location_id": CASABLANCA, "item_id": "flour-25kg", "donation_id": GIFT}
    other_item = api.post("admin", "/v1/stock/receipts", flour)

    for refused in (unknown, elsewhere, other_item):
        assert error_of(refused, 422, "invalid_request")["field"] == "donation_id"
    assert ok(api.get("coordinator", f"/v1/donations/{GIFT}/trace"), 200)["received"] == 100
    here = receipt | {"location_id": CASABLANCA, "id": "rcpt-top-up", "donation_id": GIFT}
    ok(api.post("admin", "/v1/stock/receipts", here))


def test_the_board_records_a_convoy_delivered_short(api: ApiHarness, convoy_ready: Clock) -> None:
    ok(step(api, CONVOY, "dispatch"), 200)
    api.project_published()
    api.create_user("fatima.board", "coordinator", password="tajine-et-the-2026")
    signin = api.client.get("/signin").text
    csrf = signin.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    api.client.post("/signin", data={"csrf": csrf, "username": "fatima.board",
                                     "password": "tajine-et-the-2026"})  # fmt: skip
    board = api.client.get(f"/coordinator?operation_id={QUAKE}").text
    assert (
        f'name="received:{BASKETS}" inputmode="numeric" pattern="[0-9]*" size="6" value="400"'
        in board
    )
    token = board.split('name="csrf" value="', 1)[1].split('"', 1)[0]

    typo = api.client.post(f"/coordinator/deployments/{CONVOY}/deliver",
                           data={"csrf": token, f"received:{BASKETS}": "3 cents"})  # fmt: skip
    short = api.client.post(
        f"/coordinator/deployments/{CONVOY}/deliver",
        data={"csrf": token, "operation_id": QUAKE, f"received:{BASKETS}": "370"},
        follow_redirects=False,
    )
    api.project_published()

    assert typo.status_code == 422
    assert short.status_code == 303, short.text
    convoy = ok(api.get("coordinator", "/v1/deployments", {"operation_id": QUAKE}), 200)
    [row] = [d for d in convoy["items"] if d["id"] == CONVOY]
    assert (row["status"], row["delivered"]) == (
        "delivered",
        [{"item_id": BASKETS, "quantity": 370}],
    )
