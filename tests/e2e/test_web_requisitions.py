"""Al Haouz asks Marrakech for Ramadan baskets; the coordinator approves fewer than asked,
and the approved baskets leave Marrakech as one transfer."""

from __future__ import annotations

import pytest

from tests.e2e.scenario import Site
from tests.support.api import SITE

pytestmark = pytest.mark.browser
BASKETS = "ramadan-basket"


def test_a_coordinator_approves_fewer_baskets_than_the_site_asked_for(site: Site) -> None:
    agent = site.page("agent")
    agent.goto(f"{site.url}/requisitions/new")
    agent.select_option("#requesting_location_id", SITE)
    agent.select_option("#supplying_location_id", "wh-marrakech")
    agent.select_option("#item_id-0", BASKETS)
    agent.fill("#quantity-0", "60")
    agent.fill("#needed_by", "2099-03-10")
    agent.click("button.primary")
    assert "Réquisition envoyée au coordinateur." in agent.inner_text(".notice")
    assert "En attente d'approbation" in agent.inner_text(".requisition .status")
    [raised] = site.api.published("requisitions")
    rid = raised.data["requisition_id"]

    page = site.page("coordinator")
    page.click("nav.tabs >> text=Réquisitions")
    page.fill(f"#req-{rid} input[name='approved:{BASKETS}']", "45")
    page.click(f"#req-{rid} button.primary")

    assert "Réquisition approuvée" in page.inner_text(".notice")
    card = page.locator(f"#req-{rid}")
    assert card.locator(".status").inner_text() == "Expédiée"
    cells = card.locator("tbody tr").first.locator("td").all_inner_texts()
    assert cells[1:4] == ["60", "45", "45"]  # requested, approved, dispatched
    site.shot(page, "coordinator-requisitions")

    [dispatched] = [e for e in site.api.published("stock") if e.type == "TransferDispatched"
                    and e.data.get("requisition_id") == rid]  # fmt: skip
    assert dispatched.data["from_location_id"] == "wh-marrakech"
    assert sum(line["quantity"] for line in dispatched.data["lines"]) == 45
    agent.goto(f"{site.url}/requisitions")
    assert "Expédiée" in agent.inner_text(f"#req-{rid} .status")
