"""The site-list pages: the counts per site of a campaign, and one site's printable list
(by household id, naming nobody), its status filter and its CSV; open to coordinators and
to an agent for their own sites only."""

from __future__ import annotations

from tests.support.api import SITE, ApiHarness
from tests.unit import test_site_lists_api as site_lists
from tests.unit.test_admin_pages import signed_in
from tests.unit.test_households_api import FATIMA, MOHAMED, RAMADAN, basket, leaks

api, assigned = site_lists.api, site_lists.assigned  # the same app and households
CHICHAOUA = site_lists.CHICHAOUA


def page(api: ApiHarness, who: str, path: str) -> tuple[int, str]:
    signed_in(api, who)
    r = api.client.get(path)
    return r.status_code, r.text


def test_a_coordinator_sees_each_sites_counts_and_opens_a_list(assigned: ApiHarness) -> None:
    assigned.post("agent", "/v1/distributions", basket("d-1", FATIMA.household_id))
    assigned.project_published()

    status, counts = page(assigned, "coordinator", f"/sites?campaign_id={RAMADAN}")
    listed_status, listed = page(assigned, "coordinator", f"/sites/{RAMADAN}/{SITE}")

    assert status == 200 and listed_status == 200
    assert f'href="/sites/{RAMADAN}/{SITE}"' in counts and f'data-site="{CHICHAOUA}"' in counts
    assert f'data-household="{FATIMA.household_id}" class="served"' in listed
    assert f'data-household="{MOHAMED.household_id}" class="waiting"' in listed
    assert leaks(counts) == [] and leaks(listed) == []


def test_the_list_filters_by_status_and_downloads_as_csv(assigned: ApiHarness) -> None:
    assigned.post("agent", "/v1/distributions", basket("d-1", FATIMA.household_id))
    assigned.project_published()

    _, waiting = page(assigned, "agent", f"/sites/{RAMADAN}/{SITE}?status=waiting")
    status, csv_text = page(assigned, "agent", f"/sites/{RAMADAN}/{SITE}.csv")

    assert MOHAMED.household_id in waiting and FATIMA.household_id not in waiting
    assert status == 200
    assert csv_text.splitlines()[2].startswith(f"{FATIMA.household_id},5,MA0701,served,")


def test_an_agent_opens_only_their_own_sites_and_an_operator_none(assigned: ApiHarness) -> None:
    _, counts = page(assigned, "agent", f"/sites?campaign_id={RAMADAN}")
    other, _ = page(assigned, "agent", f"/sites/{RAMADAN}/{CHICHAOUA}")
    operator, _ = page(assigned, "operator", "/sites")

    assert f'data-site="{SITE}"' in counts and CHICHAOUA not in counts
    assert (other, operator) == (403, 403)
