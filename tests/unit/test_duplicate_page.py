"""The coordinator's duplicates page without a browser: a campaign's waiting duplicates with
where the household was first served, each resolved from its row with a reason, and the
refusals in words on the row (or above the list, when the row is gone)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from events.households import (
    AidDistributed,
    CampaignOpened,
    DuplicateDistributionFlagged,
    HouseholdRegistered,
    LateDistributionFlagged,
)
from tests.support.api import SITE, USERNAMES, ApiHarness
from tests.unit.test_web_ui import PASSWORD, csrf_of, sign_in

IDENTITY = "p3f9a0c41d2e8b7765a1c0d94e3f2b1a6c5d8e7f0"
FIRST, LATE = datetime(2026, 3, 1, 10, 0, tzinfo=UTC), datetime(2026, 3, 2, 16, 30, tzinfo=UTC)
PAGE = "/coordinator/duplicates?campaign_id=ramadan-2026"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    """A household served at Amizmiz on 1 March; two late records of it flagged."""
    with ApiHarness(tmp_path, auto_project=True) as harness:
        for role in ("coordinator", "auditor"):
            harness.create_user(USERNAMES[role], role, password=PASSWORD)
        basket = {"household_id": "hh-017", "identity": IDENTITY, "campaign_id": "ramadan-2026",
                  "site_id": SITE, "item_id": "ramadan-basket", "quantity": 1,
                  "region_code": "MA07", "province_code": "MA0701"}  # fmt: skip
        harness.apply(
            CampaignOpened(campaign_id="ramadan-2026", name="Ramadan 2026",
                           item_id="ramadan-basket", quantity_per_household=1,
                           starts_on=date(2026, 2, 18), ends_on=date(2026, 3, 31)),
            HouseholdRegistered(household_id="hh-017", identity=IDENTITY, size=11,
                                region_code="MA07", province_code="MA0701",
                                sealed_personal_data="sealed"),
            AidDistributed(distribution_id="dist-1", distributed_at=FIRST, **basket),
        )  # fmt: skip
        for late in ("dist-2", "dist-3"):
            flagged = DuplicateDistributionFlagged(
                distribution_id=late, first_distribution_id="dist-1", already_received=1,
                distributed_at=LATE, **basket,
            )  # fmt: skip
            harness.apply(flagged, occurred_at=LATE)
        sign_in(harness, "coordinator")
        yield harness


def resolve(api: ApiHarness, distribution_id: str, resolution: str, reason: str) -> httpx.Response:
    page = api.client.get(PAGE)
    body = {"csrf": csrf_of(page.text), "form_id": f"form-{distribution_id}-{resolution}",
            "campaign_id": "ramadan-2026", "resolution": resolution, "reason": reason}  # fmt: skip
    path = f"/coordinator/duplicates/{distribution_id}/resolve"
    return api.client.post(path, data=body, follow_redirects=False)


def row(html: str, distribution_id: str) -> str:
    found = re.search(rf"<tr>\s*<td>{distribution_id}</td>(.*?)</tr>", html, re.S)
    assert found is not None, html
    return found.group(1)


def test_the_page_lists_the_waiting_duplicates_with_a_form_on_each(api: ApiHarness) -> None:
    page = api.client.get(PAGE)

    assert page.status_code == 200, page.text
    second = row(page.text, "dist-2")
    assert "Point de distribution Amizmiz" in second  # where it was first served
    assert 'name="resolution" value="void"' in second
    assert 'name="resolution" value="accept"' in second
    assert "dist-3" in page.text
    assert 'href="/coordinator/duplicates"' in api.client.get("/coordinator").text


def test_a_record_handed_after_the_campaign_closed_says_so_on_its_row(api: ApiHarness) -> None:
    april = datetime(2026, 4, 3, 11, 0, tzinfo=UTC)
    api.apply(
        LateDistributionFlagged(
            distribution_id="dist-9", household_id="hh-017", identity=IDENTITY,
            campaign_id="ramadan-2026", site_id=SITE, item_id="ramadan-basket", quantity=1,
            region_code="MA07", distributed_at=april, why="outside_campaign",
        ),
        occurred_at=april,
    )  # fmt: skip

    late = row(api.client.get(PAGE).text, "dist-9")

    assert "Remis hors des dates de la campagne" in late
    assert 'name="resolution" value="accept"' in late


def test_a_duplicate_accepted_from_its_row_leaves_the_list(api: ApiHarness) -> None:
    answer = resolve(api, "dist-2", "accept", "famille de onze")

    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith("done=duplicate_accept")
    page = api.client.get(answer.headers["location"])
    assert "Accepté comme exception" in page.text
    assert "<td>dist-2</td>" not in page.text
    assert "<td>dist-3</td>" in page.text
    [accepted] = [e for e in api.published("distributions") if e.type == "DuplicateAccepted"]
    assert (accepted.data["reason"], accepted.actor.user_id) == (
        "famille de onze", USERNAMES["coordinator"],
    )  # fmt: skip


def test_a_resolution_without_a_reason_is_refused_in_words_on_its_row(api: ApiHarness) -> None:
    answer = resolve(api, "dist-3", "void", "")

    assert answer.status_code == 422
    refused = row(answer.text, "dist-3")
    assert 'aria-invalid="true"' in refused
    assert "Ce champ est obligatoire." in refused
    assert "field-error" not in row(answer.text, "dist-2")
    assert api.published() == []


def test_resolving_a_duplicate_twice_says_how_it_was_resolved(api: ApiHarness) -> None:
    assert resolve(api, "dist-2", "void", "synchronisé deux fois").status_code == 303

    again = resolve(api, "dist-2", "accept", "famille de onze")

    assert again.status_code == 409
    assert "Ce doublon est déjà annulé." in again.text
    assert [e.type for e in api.published("distributions")] == ["DuplicateVoided"]


def test_an_auditor_sees_the_duplicates_but_no_form_to_resolve_them(api: ApiHarness) -> None:
    api.client.cookies.clear()
    sign_in(api, "auditor")

    page = api.client.get(PAGE)

    assert page.status_code == 200, page.text
    assert "<td>dist-2</td>" in page.text
    assert 'name="resolution"' not in page.text
