"""The story the browser tests walk through, seeded through the JSON API as an admin would.

Fondation Atlas gives 200 Ramadan baskets, received in Marrakech; an earthquake operation
plans a convoy of 100 baskets to Amizmiz; two households of Al Haouz are registered for the
campaign; a transfer of flour from Marrakech is on its way to Casablanca.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import events
from events.households import AidDistributed
from services.domain.policies.distributions import consume_stock
from services.domain.stock.commands import ConsumeForDistribution
from tests.support.api import SITE, USERNAMES, ApiHarness

SIGNED_IN = ("operator", "agent", "coordinator", "donor", "social_worker")
PASSWORDS = {role: f"{role}-mot-de-passe" for role in SIGNED_IN}
CAMPAIGN, OPERATION, CONVOY = "ramadan-al-haouz", "op-seisme-al-haouz", "convoy-amizmiz-1"
DONATION, OTHER_DONATION = "don-atlas-001", "don-croissant-001"
HOUSEHOLDS = {"HA1000": "hh-ait-ourir-001", "HA1001": "hh-ait-ourir-002"}
INBOUND = "tr-flour-marrakech-casa"


def days_from_today(days: int) -> str:
    """A date this many days from today: the browser tests run on the real clock, and a lot
    that has expired cannot leave."""
    return (date.today() + timedelta(days=days)).isoformat()


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def seed(api: ApiHarness) -> None:
    post = api.post
    for donor, name in (("donor-fondation-atlas", "Fondation Atlas"),
                        ("donor-croissant-rouge", "Croissant-Rouge")):  # fmt: skip
        ok(post("admin", "/v1/donors", {"id": donor, "name": name}))
    for gift, donor in ((DONATION, "donor-fondation-atlas"),
                        (OTHER_DONATION, "donor-croissant-rouge")):  # fmt: skip
        ok(post("admin", "/v1/donations", {
            "id": gift, "donor_id": donor, "location_id": "wh-marrakech",
            "item_id": "ramadan-basket", "quantity": 200, "expires_on": days_from_today(88),
        }))  # fmt: skip
    ok(post("admin", "/v1/operations", {
        "id": OPERATION, "name": "Séisme d'Al Haouz", "kind": "earthquake",
        "region_codes": ["MA07"],
    }))  # fmt: skip
    ok(post("admin", "/v1/deployments", {
        "id": CONVOY, "operation_id": OPERATION, "from_location_id": "wh-marrakech",
        "to_location_id": SITE, "lines": [{"item_id": "ramadan-basket", "quantity": 100}],
    }))  # fmt: skip
    ok(post("admin", "/v1/campaigns", {
        "id": CAMPAIGN, "name": "Ramadan Al Haouz", "item_id": "ramadan-basket",
        "quantity_per_household": 1, "starts_on": "2026-01-01", "ends_on": days_from_today(400),
        "region_codes": ["MA07"], "operation_id": OPERATION,
    }))  # fmt: skip
    for n, (cin, household) in enumerate(HOUSEHOLDS.items()):
        ok(post("admin", "/v1/households", {
            "id": household, "national_id": cin, "head_name": f"Famille {n + 1}", "size": 5,
            "region_code": "MA07", "province_code": "MA0701", "groups": ["children"],
        }))  # fmt: skip
    ok(post("admin", "/v1/stock/receipts", {"location_id": "wh-marrakech",
                                            "item_id": "flour-25kg", "quantity": 40}))  # fmt: skip
    ok(post("admin", "/v1/stock/transfers", {
        "id": INBOUND, "from_location_id": "wh-marrakech", "to_location_id": "wh-casablanca",
        "lines": [{"item_id": "flour-25kg", "quantity": 30}],
    }))  # fmt: skip


def consume_site_stock(api: ApiHarness) -> None:
    """What the worker's distribution policy does: take handed-out baskets from site stock."""

    async def run() -> None:
        for published in api.published("distributions"):
            envelope, event = events.decode(events.encode(published))
            if isinstance(event, AidDistributed):
                _, command = consume_stock(event, envelope)
                await api.bus.send(ConsumeForDistribution.model_validate(command.data), command)

    # Playwright's sync API keeps an event loop in this thread: run the policy in another.
    worker = threading.Thread(target=asyncio.run, args=(run(),))
    worker.start()
    worker.join()


@dataclass
class Site:
    """The running system and a way to open a signed-in browser page on it."""

    api: ApiHarness
    url: str
    browser: Any
    screenshots: Path

    def page(self, role: str, lang: str = "fr", **options: Any) -> Any:
        context = self.browser.new_context(
            viewport={"width": 390, "height": 844}, locale=lang, **options
        )
        context.add_cookies([{"name": "aid_lang", "value": lang, "url": self.url}])
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{self.url}/signin")
        page.fill("#username", USERNAMES[role])
        page.fill("#password", PASSWORDS[role])
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
        return page

    def shot(self, page: Any, name: str) -> None:
        self.screenshots.mkdir(parents=True, exist_ok=True)
        lang = page.evaluate("document.documentElement.lang")
        page.screenshot(path=str(self.screenshots / f"{name}-{lang}.png"), full_page=True)
