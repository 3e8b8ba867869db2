"""Served once, private by design, offline-ready: against the real broker."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from kafka import KafkaConsumer
from sqlalchemy import MetaData, func, select

from projections.tables import households
from tests.integration.conftest import System
from tests.integration.test_receipts_end_to_end import register_reference
from tests.support.pages import every_item
from tests.support.processes import eventually

pytestmark = pytest.mark.kafka
CAMPAIGN = {
    "id": "ramadan-2027",
    "name": "Ramadan 2027",
    "item_id": "ramadan-basket",
    "quantity_per_household": 1,
    "starts_on": "2026-01-01",
    "ends_on": "2097-12-31",
}
SITE = "site-al-haouz"


def open_campaign(system: System, admin: dict[str, str]) -> None:
    register_reference(system, admin)
    r = system.client.post("/v1/campaigns", headers=admin, json=CAMPAIGN)
    assert r.status_code == 201, r.text


def register(system: System, who: dict[str, str], n: int) -> str:
    r = system.client.post(
        "/v1/households",
        headers=who,
        json={
            "id": f"hh-{n:05d}",
            "national_id": f"JA{100000 + n}",
            "head_name": f"Khadija Ait {n}",
            "size": 4,
            "region_code": "MA07",
            "province_code": "MA0731",
            "phone": f"+212 6{n:08d}",
        },
    )
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


@pytest.mark.one_backend("sqlite")
def test_fifty_concurrent_distributions_to_one_household_serve_it_once(system: System) -> None:
    admin = system.user("sara-admin", "admin")
    open_campaign(system, admin)
    household = register(system, admin, 1)

    def hand_out(n: int) -> Any:
        return system.client.post(
            "/v1/distributions",
            headers=admin,
            json={
                "id": f"dist-rush-{n:02d}",
                "campaign_id": CAMPAIGN["id"],
                "household_id": household,
                "site_id": SITE,
                "quantity": 1,
            },
        )

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(hand_out, range(50)))

    codes = Counter(a.status_code for a in answers)
    assert codes == {201: 1, 409: 49}, codes
    (winner,) = [a.json()["id"] for a in answers if a.status_code == 201]
    for refusal in (a.json() for a in answers if a.status_code == 409):
        assert refusal["error"] == "already_received"
        assert refusal["first_distribution_id"] == winner and refusal["site_id"] == SITE
    # the site's stock went down through the policy: it held nothing, so it is negative
    eventually(
        lambda: any(
            a["kind"] == "negative_stock" and a["location_id"] == SITE
            for a in system.client.get("/v1/alerts", headers=admin).json()["items"]
        ),
        timeout=60,
        what="a negative-stock alert at the site",
    )


def import_households(system: System, who: dict[str, str], numbers: range) -> list[str]:
    """Register households as a registry export would: one import, sent in pipelined batches
    (the same people `register` makes, one request each)."""
    lines = ["id,national_id,head_name,phone,size,region_code"] + [
        f"hh-{n:05d},JA{100000 + n},Khadija Ait {n},+212 6{n:08d},4,MA07" for n in numbers
    ]
    headers = who | {"Content-Type": "text/csv"}
    r = system.client.post(
        "/v1/households/imports", headers=headers, content="\n".join(lines).encode()
    )
    assert r.status_code == 202, r.text
    location = r.headers["Location"]

    state: dict[str, Any] = {}

    def done() -> bool:
        state.update(system.client.get(location, headers=who).json())
        return bool(state["done"]) or state["status"] == "failed"

    eventually(done, timeout=300, what=f"{len(numbers)} households imported")
    assert (state["status"], state["registered"]) == ("done", len(numbers)), (
        {k: v for k, v in state.items() if k != "refusals"},
        state["refusals"][:3],
    )
    ids = [f"hh-{n:05d}" for n in numbers]

    def projected() -> bool:
        with system.engine.connect() as conn:
            found = select(func.count()).where(households.c.household_id.in_(ids))
            return conn.execute(found).scalar() == len(ids)

    eventually(projected, timeout=120, what="the imported households in the registry")
    return ids


@pytest.mark.one_backend
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_offline_batch_of_5000_with_2_percent_duplicates_counts_exactly(system: System) -> None:
    admin = system.user("youssef-admin", "admin")
    open_campaign(system, admin)
    ids = import_households(system, admin, range(4940))
    for household in ids[:50]:  # served online before the field records arrive
        r = system.client.post(
            "/v1/distributions",
            headers=admin,
            json={
                "id": f"online-{household}",
                "campaign_id": CAMPAIGN["id"],
                "household_id": household,
                "site_id": SITE,
                "quantity": 1,
            },
        )
        assert r.status_code == 201, r.text
    record = {
        "campaign_id": CAMPAIGN["id"],
        "site_id": SITE,
        "quantity": 1,
        "occurred_at": "2026-11-20T10:00:00+01:00",
    }
    records = [record | {"id": f"field-{h}", "household_id": h} for h in ids]
    records += [record | {"id": f"field-again-{h}", "household_id": h} for h in ids[50:100]]
    records += [
        record | {"id": f"field-ghost-{n}", "household_id": f"hh-ghost-{n}"} for n in range(10)
    ]
    assert len(records) == 5000

    first = system.client.post("/v1/distributions/batch", headers=admin, json={"records": records})
    assert first.status_code == 200, first.text
    statuses = Counter(r["status"] for r in first.json()["results"])
    assert statuses == {"accepted": 4890, "duplicate": 100, "rejected": 10}, statuses

    again = system.client.post("/v1/distributions/batch", headers=admin, json={"records": records})
    assert again.json() == first.json()

    def coverage() -> dict[str, Any]:
        return system.client.get(f"/v1/campaigns/{CAMPAIGN['id']}/coverage", headers=admin).json()

    eventually(
        lambda: coverage()["reached_households"] == 4940,
        timeout=120,
        what="every household reached once",
    )
    assert coverage()["quantity"] == 4940
    duplicates = every_item(system.client, "/v1/distributions/duplicates", admin)
    assert len(duplicates) == 100

    def on_hand() -> int:  # the site received nothing: each basket is owed from nowhere
        r = system.client.get("/v1/inventory", headers=admin, params={"location_id": SITE})
        return sum(row["on_hand"] for row in r.json()["items"])

    eventually(lambda: on_hand() == -4940, timeout=60, what="each basket taken from the site once")


def test_no_identity_in_clear_in_any_topic_or_table_and_erasure_keeps_the_counts(
    system: System,
) -> None:
    admin = system.user("amal-admin", "admin")
    open_campaign(system, admin)
    people = [register(system, admin, n) for n in range(20)]
    for household in people[:10]:
        r = system.client.post(
            "/v1/distributions",
            headers=admin,
            json={
                "id": f"d-{household}",
                "campaign_id": CAMPAIGN["id"],
                "household_id": household,
                "site_id": SITE,
                "quantity": 1,
            },
        )
        assert r.status_code == 201, r.text
    secrets = [s for n in range(20) for s in (f"JA{100000 + n}", f"Khadija Ait {n}", f"6{n:08d}")]

    def coverage() -> dict[str, Any]:
        return system.client.get(f"/v1/campaigns/{CAMPAIGN['id']}/coverage", headers=admin).json()

    eventually(lambda: coverage()["reached_households"] == 10, timeout=60, what="coverage")
    before = coverage()
    erased = system.client.delete(f"/v1/households/{people[0]}/personal-data", headers=admin)
    assert erased.status_code == 200 and erased.json()["personal"] is None
    eventually(
        lambda: system.client.get(f"/v1/households/{people[0]}", headers=admin).json()["erased"],
        timeout=30,
        what="erasure projected",
    )

    consumer = KafkaConsumer(
        bootstrap_servers=system.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    topics = [t for t in consumer.topics() if t.startswith(system.settings.topic_prefix)]
    consumer.subscribe(topics)
    log = b"".join((m.value or b"") + (m.key or b"") for m in consumer)
    consumer.close()
    assert b"hh-00001" in log  # the scan reads what was written
    tables = MetaData()
    tables.reflect(system.engine)
    with system.engine.connect() as conn:
        rows = " ".join(str(row) for t in tables.sorted_tables for row in conn.execute(select(t)))
    for secret in secrets:
        assert secret.encode() not in log, secret
        assert secret not in rows, secret
    assert system.client.get(f"/v1/households/{people[1]}", headers=admin).json()["personal"]
    assert coverage() == before
