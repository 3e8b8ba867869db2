"""The offline list: what an agent's device keeps to check cards at a site without a network.

For a campaign and a site, each household the site expects, with a digest of its current
card's code (never the check value itself: a lost device's copy cannot be turned back into
cards), what it is still due and whether it was served. Nothing that names a person: no
name, national ID, phone or registry number, only the household's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections import households_queries, site_list_queries
from projections.paging import Page, Paging
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, wait_for_all
from services.app.site_lists import campaign_at_site
from services.domain.distributions.eligibility import CampaignTerms, entitlement
from services.domain.households.cards import code_of, digest
from services.domain.positions import Position


async def offline_list(
    ports: Ports,
    user: User,
    campaign_id: str,
    site_id: str,
    paging: Paging,
    after: Sequence[Position] = (),
) -> tuple[int, Page]:
    """The campaign's quantity per household, and a page of the site's expected households
    as `{household_id, card, remaining, served}` (`card`: the digest, or None without one;
    `remaining`: from the household's own entitlement, more for a larger household); read
    once the read models hold the positions `after` (a few seconds at most)."""
    authorize(user, "sitelists.read", location_id=site_id)
    await wait_for_all(ports.engine, ports.settings, after)
    terms = await campaign_at_site(ports, campaign_id, site_id)
    found = await in_thread(site_list_queries.expected_at, ports.engine, terms, site_id, paging)
    ids = [h["household_id"] for h in found.items]
    cards = await in_thread(households_queries.current_cards, ports.engine, ids)
    handed = await in_thread(site_list_queries.handed_quantities, ports.engine, campaign_id, ids)
    items = [_entry(h, cards.get(h["household_id"]), terms, handed) for h in found.items]
    return terms.quantity_per_household, Page(items, found.next)


def _entry(
    household: dict[str, Any],
    card: dict[str, Any] | None,
    terms: CampaignTerms,
    handed: dict[str, int],
) -> dict[str, Any]:
    household_id = household["household_id"]
    code = card and code_of(household_id, card["card_number"], card["check_value"])
    due = entitlement(terms, household["size"])
    return {
        "household_id": household_id,
        "card": digest(code) if code else None,
        "remaining": max(due - handed.get(household_id, 0), 0),
        "served": household["status"] != "waiting",
    }
