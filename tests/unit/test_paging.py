"""Every list is read a page at a time with an opaque cursor: the pages put together are the
whole list in its order, a row written between two pages is never sent twice nor makes
another row disappear, and a cursor the list did not hand out is a 422."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from projections.paging import MAX_LIMIT, Paging, Sort, read_page
from projections.tables import donations
from tests.support.api import ApiHarness


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


def location(n: int) -> dict[str, Any]:
    return {"id": f"site-{n:03d}", "name": f"Site {n}", "kind": "site", "region_code": "MA07",
            "region_name": "Marrakech-Safi"}  # fmt: skip


def register_sites(api: ApiHarness, numbers: range) -> None:
    for n in numbers:
        answer = api.post("admin", "/v1/locations", location(n))
        assert answer.status_code == 201, answer.text
    api.project_published()


def pages(api: ApiHarness, path: str, limit: int, **params: Any) -> list[list[dict[str, Any]]]:
    found, cursor = [], None
    while True:
        query = {"limit": limit, **params} | ({"cursor": cursor} if cursor else {})
        answer = api.get("admin", path, query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found.append(body["items"])
        cursor = body["next"]
        if cursor is None:
            return found


def test_pages_of_locations_put_together_are_the_whole_list(api: ApiHarness) -> None:
    register_sites(api, range(20, 43))
    whole = api.get("admin", "/v1/locations", {"limit": MAX_LIMIT}).json()

    seven_at_a_time = pages(api, "/v1/locations", 7)

    assert whole["next"] is None
    assert [len(p) for p in seven_at_a_time] == [7, 7, 7, 5]  # 23 sites and the 3 seeded
    assert [row for p in seven_at_a_time for row in p] == whole["items"]


def test_rows_written_between_two_pages_are_never_sent_twice_nor_hide_others(
    api: ApiHarness,
) -> None:
    register_sites(api, range(20, 30))
    first = api.get("admin", "/v1/locations", {"limit": 5}).json()
    register_sites(api, range(10, 12))  # before the cursor: not in this reading
    register_sites(api, range(90, 92))  # after it: in a later page

    rest = pages(api, "/v1/locations", 5, cursor=first["next"])
    seen = [r["id"] for r in first["items"]] + [r["id"] for p in rest for r in p]

    assert len(seen) == len(set(seen))
    assert {f"site-{n:03d}" for n in range(20, 30)} | {"site-090", "site-091"} <= set(seen)
    assert not {"site-010", "site-011"} & set(seen)


def test_a_list_newest_first_pages_in_its_own_order(api: ApiHarness) -> None:
    ok = api.post("coordinator", "/v1/donors", {"id": "donor-atlas", "name": "Fondation Atlas"})
    assert ok.status_code == 201, ok.text
    api.project_published()
    for n in range(5):
        gift = {"id": f"don-{n}", "donor_id": "donor-atlas", "location_id": "wh-casablanca",
                "item_id": "ramadan-basket", "quantity": 10 + n}  # fmt: skip
        assert api.post("coordinator", "/v1/donations", gift).status_code == 201
        api.project_published()
    whole = api.get("admin", "/v1/donations").json()["items"]

    two_at_a_time = pages(api, "/v1/donations", 2)

    assert [row for p in two_at_a_time for row in p] == whole
    assert [r["received_at"] for r in whole] == sorted(
        (r["received_at"] for r in whole), reverse=True
    )


@pytest.mark.parametrize(
    "path",
    ["/v1/locations", "/v1/items", "/v1/campaigns", "/v1/operations", "/v1/donors",
     "/v1/donations", "/v1/deployments", "/v1/inventory", "/v1/inventory/expiring",
     "/v1/stock/transfers", "/v1/alerts", "/v1/distributions/duplicates"],
)  # fmt: skip
def test_every_list_answers_items_and_next_and_refuses_a_forged_cursor(
    api: ApiHarness, path: str
) -> None:
    plain = api.get("admin", path)
    forged = api.get("admin", path, {"cursor": "bm90LWEtY3Vyc29y"})
    too_many = api.get("admin", path, {"limit": MAX_LIMIT + 1})

    assert plain.status_code == 200, plain.text
    assert set(plain.json()) >= {"items", "next"}
    assert forged.status_code == 422 and forged.json()["field"] == "cursor", forged.text
    assert too_many.status_code == 422, too_many.text


def gift(n: int, at: datetime) -> dict[str, Any]:
    return {"donation_id": f"don-{n:02d}", "donor_id": "d", "location_id": "wh", "item_id": "i",
            "quantity": 1, "lot": f"L{n}", "received_at": at}  # fmt: skip


def test_keyset_pages_with_ties_and_times_in_both_directions(engine: Engine) -> None:
    """Ties on the first sort column (several donations received at the same moment) are
    broken by the id; a cursor carries a time and comes back as one. SQLite and PostgreSQL."""
    start = datetime(2026, 3, 1, 8, 0)
    rows = [gift(n, start + timedelta(hours=n // 3)) for n in range(10)]
    with engine.begin() as conn:
        conn.execute(insert(donations), rows)
    d = donations
    for descending in (False, True):
        order = [Sort(d.c.received_at, "received_at", descending),
                 Sort(d.c.donation_id, "donation_id", descending)]  # fmt: skip
        whole = read_page(engine, select(d), order, Paging(limit=None)).items
        collected, cursor = [], None
        while True:
            page = read_page(engine, select(d), order, Paging(limit=3, cursor=cursor))
            collected += page.items
            if (cursor := page.next) is None:
                break

        assert [r["donation_id"] for r in collected] == [r["donation_id"] for r in whole]
        assert len(whole) == 10
    assert date(2026, 3, 1) == whole[0]["received_at"].date()
