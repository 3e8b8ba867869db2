"""Omar, the auditor, reads the history of the Marrakech warehouse: the donations received,
the flour sent to Casablanca, and a receipt typed with 1,000 instead of 100 then voided, in
order, with who recorded each and why; a household's history shows no personal data."""

from __future__ import annotations

import pytest

from tests.e2e.scenario import HOUSEHOLDS, INBOUND, Site, ok
from tests.e2e.test_web_admin_users import signed_in
from tests.support.api import USERNAMES

pytestmark = pytest.mark.browser

AUDITOR_PASSWORD = "msemen-et-amlou-2026"


def test_the_auditor_reads_the_history_of_a_location(site: Site) -> None:
    api = site.api
    api.create_user(USERNAMES["auditor"], "auditor", password=AUDITOR_PASSWORD)
    typo = {"id": "rc-typo", "location_id": "wh-marrakech", "item_id": "flour-25kg",
            "quantity": 1000}  # fmt: skip
    ok(api.post("admin", "/v1/stock/receipts", typo))
    ok(api.post("admin", "/v1/stock/receipts/rc-typo/void", {"reason": "1000 typed for 100"}))

    page = signed_in(site, USERNAMES["auditor"], AUDITOR_PASSWORD)
    page.locator("a[href='/auditor']").first.click()
    page.wait_for_load_state()
    page.select_option("#kind", "location")
    page.fill("#id", "wh-marrakech")
    page.click("form[action='/auditor'] button[type=submit]")

    assert "Historique : Lieu wh-marrakech" in page.inner_text("caption")
    rows = [r.split("\t") for r in page.locator("tbody tr").all_inner_texts()]
    kinds = [r[1] for r in rows]
    assert kinds.count("StockReceived") == 4  # two gifts, the flour, the typo
    assert "TransferDispatched" in kinds
    assert kinds[-2:] == ["StockReceived", "StockReceiptVoided"]  # in the order they happened
    voided = rows[-1]
    assert USERNAMES["admin"] in voided[2] and "1000 typed for 100" in voided[4]
    assert "rc-typo" in voided[4]
    dispatched = rows[kinds.index("TransferDispatched")]
    assert INBOUND in dispatched[4]
    site.shot(page, "auditor-history")

    household = next(iter(HOUSEHOLDS.values()))
    page.fill("#id", household)
    page.select_option("#kind", "household")
    page.click("form[action='/auditor'] button[type=submit]")
    story = page.inner_text("table")
    assert "HouseholdRegistered" in story
    assert "Famille 1" not in story and "HA1000" not in story
